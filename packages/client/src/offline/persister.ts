/**
 * Saves the parts of the snapshot that must survive a restart, and loads them at cold start.
 *
 * Layout under `parley:v1:<user>:` — `channel:<cid>` (state with its last messages, and the
 * position it stands at), `meta` (sync cursor, own user), `outbox`, `drafts`. Channels are written
 * before `meta`, so a crash in between leaves an older cursor (events replayed, and skipped by
 * position) rather than a newer one (events lost). The outbox is written before each send.
 */
import type { ChannelState, User } from '@parley/protocol';
import type { Position } from '../state/positions.js';
import type { ClientSnapshot, Draft, OutboxItem } from '../state/types.js';
import type { Storage } from './storage.js';

interface ChannelEntry {
  state: ChannelState;
  position: Position | null;
}
interface Meta {
  cursor: string | null;
  me: User | null;
}

/**
 * What a cold start restores.
 *
 * @example
 * const { channels, outbox, drafts }: PersistedState = await persister.load();
 */
export type PersistedState = Pick<ClientSnapshot, 'channels' | 'positions' | 'syncCursor' | 'me' | 'outbox' | 'drafts'>;

/**
 * Debounced, ordered writes of a snapshot to a {@link Storage}.
 *
 * @example
 * const persister = new Persister(storage, 'alice');
 * const saved = await persister.load();
 * client.store.subscribe(() => persister.schedule(client.store.getSnapshot()));
 */
export class Persister {
  private readonly ns: string;
  private saved: { channels: ClientSnapshot['channels']; positions: ClientSnapshot['positions']; cursor: string | null; me: User | null; drafts: ClientSnapshot['drafts'] | undefined; outbox: readonly OutboxItem[] | undefined } = {
    channels: {},
    positions: {},
    cursor: null,
    me: null,
    drafts: undefined,
    outbox: undefined,
  };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private latest: ClientSnapshot | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: Storage,
    userId: string,
    private readonly options: { debounceMs?: number; messagesPerChannel?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.ns = `parley:v1:${userId}:`;
  }

  /** Reads everything saved for this user. */
  async load(): Promise<PersistedState> {
    const [meta, outbox, drafts, keys] = await Promise.all([
      this.storage.get<Meta>(`${this.ns}meta`),
      this.storage.get<OutboxItem[]>(`${this.ns}outbox`),
      this.storage.get<Record<string, Draft>>(`${this.ns}drafts`),
      this.storage.keys(`${this.ns}channel:`),
    ]);
    const channels: Record<string, ChannelState> = {};
    const positions: Record<string, Position> = {};
    for (const entry of await Promise.all(keys.map((key) => this.storage.get<ChannelEntry>(key)))) {
      if (!entry?.state?.channel) continue;
      channels[entry.state.channel.cid] = entry.state;
      if (entry.position) positions[entry.state.channel.cid] = entry.position;
    }
    this.saved = { channels, positions, cursor: meta?.cursor ?? null, me: meta?.me ?? null, drafts: drafts ?? {}, outbox: outbox ?? [] };
    return { channels, positions, syncCursor: meta?.cursor ?? null, me: meta?.me ?? null, outbox: outbox ?? [], drafts: drafts ?? {} };
  }

  /** Saves `snapshot` after the debounce (the outbox at once). */
  schedule(snapshot: ClientSnapshot): void {
    this.latest = snapshot;
    if (snapshot.outbox !== this.saved.outbox) void this.saveOutbox(snapshot.outbox);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.debounceMs ?? 250);
  }

  /** Writes the outbox now (awaited before a send leaves, so a crash cannot lose it). */
  saveOutbox(outbox: readonly OutboxItem[]): Promise<void> {
    if (outbox === this.saved.outbox) return this.chain;
    this.saved.outbox = outbox;
    return this.enqueue(() => this.storage.set(`${this.ns}outbox`, outbox));
  }

  /** Writes whatever changed since the last save. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const snapshot = this.latest;
    if (!snapshot) return this.chain;
    return this.enqueue(async () => {
      const saved = this.saved;
      const writes: Array<Promise<void>> = [];
      for (const [cid, state] of Object.entries(snapshot.channels)) {
        if (saved.channels[cid] === state && saved.positions[cid] === snapshot.positions[cid]) continue;
        writes.push(this.storage.set<ChannelEntry>(`${this.ns}channel:${cid}`, { state: this.trim(state), position: snapshot.positions[cid] ?? null }));
      }
      for (const cid of Object.keys(saved.channels)) if (!snapshot.channels[cid]) writes.push(this.storage.delete(`${this.ns}channel:${cid}`));
      if (snapshot.drafts !== saved.drafts) writes.push(this.storage.set(`${this.ns}drafts`, snapshot.drafts));
      await Promise.all(writes);
      if (snapshot.syncCursor !== saved.cursor || snapshot.me !== saved.me) {
        await this.storage.set<Meta>(`${this.ns}meta`, { cursor: snapshot.syncCursor, me: snapshot.me });
      }
      this.saved = { ...saved, channels: snapshot.channels, positions: snapshot.positions, cursor: snapshot.syncCursor, me: snapshot.me, drafts: snapshot.drafts };
    });
  }

  /** Removes everything saved for this user (sign-out). */
  async clear(): Promise<void> {
    await this.flush();
    const keys = await this.storage.keys(this.ns);
    await Promise.all(keys.map((key) => this.storage.delete(key)));
  }

  private trim(state: ChannelState): ChannelState {
    const keep = this.options.messagesPerChannel ?? 50;
    if (state.messages.length <= keep) return state;
    return { ...state, messages: state.messages.slice(-keep), has_more_before: true };
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.chain.then(write).catch((error) => this.options.onError?.(error));
    this.chain = next;
    return next;
  }
}
