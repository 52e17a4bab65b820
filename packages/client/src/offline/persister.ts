/**
 * Saves the parts of the snapshot that must survive a restart, and loads them at cold start.
 *
 * Layout under `parley:v1:<user>:` — `channel:<cid>` (state with its last messages, and the
 * position it stands at), `meta` (sync cursor, own user, channel-list cursor), `outbox`, `actions`
 * (queued reactions, edits, deletes), `drafts`, `thread-unread` (unread replies per thread).
 * Channels and thread counts are written before `meta`, so a crash in
 * between leaves an older cursor (events replayed, and skipped by position) rather than a newer one
 * (events lost). The outbox and the actions are written at once, before their first attempt.
 */
import type { ChannelState, User } from '@parley/protocol';
import type { Position } from '../state/positions.js';
import type { PendingAction } from '../state/action-types.js';
import type { ThreadUnreadState } from '../state/thread-unread.js';
import type { ClientSnapshot, Draft, OutboxItem } from '../state/types.js';
import type { Storage } from './storage.js';

interface ChannelEntry {
  state: ChannelState;
  position: Position | null;
}
interface Meta {
  cursor: string | null;
  me: User | null;
  channelsNext?: string | null;
}

/**
 * What a cold start restores.
 *
 * @example
 * const { channels, outbox, drafts }: PersistedState = await persister.load();
 */
export type PersistedState = Pick<ClientSnapshot, 'channels' | 'positions' | 'syncCursor' | 'me' | 'outbox' | 'pendingActions' | 'drafts' | 'channelsNext' | 'threadUnread'>;

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
  private saved: {
    channels: ClientSnapshot['channels'];
    positions: ClientSnapshot['positions'];
    meta: Meta;
    drafts: ClientSnapshot['drafts'] | undefined;
    threadUnread: ThreadUnreadState | undefined;
    outbox: readonly OutboxItem[] | undefined;
    actions: readonly PendingAction[] | undefined;
  } = { channels: {}, positions: {}, meta: { cursor: null, me: null, channelsNext: null }, drafts: undefined, threadUnread: undefined, outbox: undefined, actions: undefined };
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
    const [meta, outbox, actions, drafts, threadUnread, keys] = await Promise.all([
      this.storage.get<Meta>(`${this.ns}meta`),
      this.storage.get<OutboxItem[]>(`${this.ns}outbox`),
      this.storage.get<PendingAction[]>(`${this.ns}actions`),
      this.storage.get<Record<string, Draft>>(`${this.ns}drafts`),
      this.storage.get<ThreadUnreadState>(`${this.ns}thread-unread`),
      this.storage.keys(`${this.ns}channel:`),
    ]);
    const channels: Record<string, ChannelState> = {};
    const positions: Record<string, Position> = {};
    for (const entry of await Promise.all(keys.map((key) => this.storage.get<ChannelEntry>(key)))) {
      if (!entry?.state?.channel) continue;
      channels[entry.state.channel.cid] = entry.state;
      if (entry.position) positions[entry.state.channel.cid] = entry.position;
    }
    const saved: Meta = { cursor: meta?.cursor ?? null, me: meta?.me ?? null, channelsNext: meta?.channelsNext ?? null };
    this.saved = { channels, positions, meta: saved, drafts: drafts ?? {}, threadUnread: threadUnread ?? {}, outbox: outbox ?? [], actions: actions ?? [] };
    return { channels, positions, syncCursor: saved.cursor, me: saved.me, channelsNext: saved.channelsNext ?? null, outbox: outbox ?? [], pendingActions: actions ?? [], drafts: drafts ?? {}, threadUnread: threadUnread ?? {} };
  }

  /** Saves `snapshot` after the debounce (the outbox and the actions at once). */
  schedule(snapshot: ClientSnapshot): void {
    this.latest = snapshot;
    if (snapshot.outbox !== this.saved.outbox) void this.saveOutbox(snapshot.outbox);
    if (snapshot.pendingActions !== this.saved.actions) void this.saveActions(snapshot.pendingActions);
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

  /** Writes the queued actions now (awaited before an action's first attempt). */
  saveActions(actions: readonly PendingAction[]): Promise<void> {
    if (actions === this.saved.actions) return this.chain;
    this.saved.actions = actions;
    return this.enqueue(() => this.storage.set(`${this.ns}actions`, actions));
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
      if (snapshot.threadUnread !== saved.threadUnread) writes.push(this.storage.set(`${this.ns}thread-unread`, snapshot.threadUnread));
      await Promise.all(writes);
      const meta: Meta = { cursor: snapshot.syncCursor, me: snapshot.me, channelsNext: snapshot.channelsNext };
      if (meta.cursor !== saved.meta.cursor || meta.me !== saved.meta.me || meta.channelsNext !== saved.meta.channelsNext) await this.storage.set<Meta>(`${this.ns}meta`, meta);
      this.saved = { ...this.saved, channels: snapshot.channels, positions: snapshot.positions, meta, drafts: snapshot.drafts, threadUnread: snapshot.threadUnread };
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

/**
 * The snapshot with the stored state restored (cold start). Sends and actions made before storage
 * answered are kept, after the stored ones.
 *
 * @example
 * store.update((s) => withRestored(s, await persister.load()));
 */
export function withRestored(state: ClientSnapshot, saved: PersistedState): ClientSnapshot {
  return {
    ...state,
    ...saved,
    outbox: [...saved.outbox, ...state.outbox.filter((i) => !saved.outbox.some((o) => o.client_msg_id === i.client_msg_id))],
    pendingActions: [...saved.pendingActions, ...state.pendingActions.filter((a) => !saved.pendingActions.some((o) => o.id === a.id))],
    threadUnread: saved.threadUnread ?? state.threadUnread,
    hydrated: true,
  };
}
