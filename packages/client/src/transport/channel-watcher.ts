/**
 * Keeps the realtime subscriptions in step with the store: every visible channel is watched (up
 * to a cap: the gateway allows 512 subscriptions per connection), channels that leave the store
 * are unwatched. A new subscription starts from the channel's position in the store, so the
 * events published since its state was read are recovered.
 */
import type { ClientSnapshot } from '../state/types.js';
import type { Realtime } from './realtime.js';

/**
 * @example
 * const watcher = new ChannelWatcher(realtime);
 * store.subscribe(() => watcher.update(store.getSnapshot()));
 */
export class ChannelWatcher {
  private seen: ClientSnapshot['channels'] = {};

  constructor(
    private readonly realtime: Pick<Realtime, 'watch' | 'unwatch' | 'watching' | 'size'>,
    private readonly max = 500,
  ) {}

  update(snapshot: ClientSnapshot): void {
    if (snapshot.channels === this.seen) return;
    const previous = this.seen;
    this.seen = snapshot.channels;
    for (const cid of Object.keys(previous)) if (!snapshot.channels[cid]) this.realtime.unwatch(cid);
    let count = this.realtime.size;
    for (const cid of snapshot.channelList) {
      if (count >= this.max) break;
      if (this.realtime.watching(cid)) continue;
      this.realtime.watch(cid, snapshot.positions[cid]?.seq);
      count++;
    }
  }
}
