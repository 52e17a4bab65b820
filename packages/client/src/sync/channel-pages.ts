/**
 * Paging the channel list: the next page of the list's channel query (`next` cursor of
 * `POST /v1/channels/query`) merged into the store. The store keys channels by cid and keeps the
 * list sorted, so pages never duplicate a channel and the order stays right whatever the pages.
 */
import type { ChannelsApi } from '../api/channels.js';
import { upsertChannelState } from '../state/apply-event.js';
import type { Store } from '../state/store.js';
import type { SyncEngine } from './sync-engine.js';

/**
 * Loads the next page of channels into the store. Returns whether more remain.
 *
 * @example
 * const more = await loadMoreChannels(engine, client.channels, client.store, 30);
 */
export function loadMoreChannels(engine: Pick<SyncEngine, 'serial' | 'channelQuery'>, channels: Pick<ChannelsApi, 'query'>, store: Store, limit?: number): Promise<boolean> {
  // In the event queue: a reload (which resets the cursor) never interleaves with a page.
  return engine.serial(async () => {
    const cursor = store.getSnapshot().channelsNext;
    if (!cursor) return false;
    const query = engine.channelQuery();
    const page = await channels.query({ ...query, limit: limit ?? query.limit, cursor });
    store.update((s) => {
      let next = { ...s, channelsNext: page.next };
      for (const state of page.channels) next = upsertChannelState(next, state);
      return next;
    });
    return page.next !== null;
  });
}
