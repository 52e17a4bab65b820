/**
 * Keeps the store in step with the server. Every event, live or from `/v1/sync`, goes through one
 * serial queue, so a channel's events are applied in seq order even when a catch-up and live
 * publications overlap:
 *
 * - catch-up: `/v1/sync` from the stored cursor, page by page (`has_more`); no cursor yet, or
 *   `409 RESYNC_REQUIRED` → reload (query channels, then sync from a cursor taken before it);
 * - a channel event beyond an exact position is a gap: the missing messages are read with
 *   `GET …/messages?after_seq` before the event is applied (a gap too large reloads the channel);
 * - `notification.added_to_channel` (and a new message in a channel not in the store) loads that
 *   channel, so it shows in the list without a reload; `notification.removed_from_channel`
 *   drops it;
 * - thread unread counts (`snapshot.threadUnread`) are read from the server after the first
 *   catch-up and after events may have been missed (a reload, a gap), then follow the events.
 *
 * See docs/sdk.md ("Sync").
 */
import type { ChannelState, QueryChannelsBody, WireEvent } from '@parley/protocol';
import { isParleyError } from '../errors.js';
import type { ChannelsApi } from '../api/channels.js';
import type { MessagesApi } from '../api/messages.js';
import type { SyncApi } from '../api/read-state.js';
import { applyEvent, mergeMessages, removeChannel, upsertChannelState } from '../state/apply-event.js';
import { classify } from '../state/positions.js';
import type { Store } from '../state/store.js';
import type { ClientSnapshot } from '../state/types.js';
import type { ThreadUnreadSync } from './thread-unread-sync.js';

/** The gap beyond which a channel is reloaded rather than backfilled message by message. */
const MAX_BACKFILL = 1_000;

interface Dependencies {
  store: Store;
  channels: ChannelsApi;
  messages: MessagesApi;
  sync: SyncApi;
  now(): number;
  /** Receiver-side lifetime of a typing.start (default 7 s). */
  typingTtlMs?: number;
  /** What the store loads: the first page of `POST /v1/channels/query`. */
  query: QueryChannelsBody;
  /** Channels whose realtime subscription delivers their events (others learn from notifications). */
  isWatched(cid: string): boolean;
  /** Called after events may have been missed (a reload; a backfill of `cid`): refresh open threads. */
  afterMissedEvents?(cid: string | null): Promise<void>;
  /** Thread unread counts: `reconcile` reads the server's, `prepare` places a reply's thread before it is applied. */
  threadUnread?: Pick<ThreadUnreadSync, 'reconcile' | 'prepare'>;
  onError(error: unknown): void;
  onEvent?(event: WireEvent): void;
}

/**
 * The serial event pipeline and the catch-up logic.
 *
 * @example
 * const engine = new SyncEngine({ store, channels, messages, sync, now: Date.now, query: {}, isWatched: () => true, onError: console.error });
 * await engine.catchUp();
 */
export class SyncEngine {
  private queue: Promise<void> = Promise.resolve();
  private catchUpQueued: Promise<void> | undefined;
  /** The store's thread unread counts may be behind the server's (nothing read yet, events missed). */
  private threadUnreadStale = true;
  /** A catch-up is applying `/v1/sync` pages (a reconcile waits for its end). */
  private catchingUp = false;

  constructor(private readonly deps: Dependencies) {}

  /** Runs `task` after everything queued before it. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task).catch((error) => this.deps.onError(error));
    this.queue = next;
    return next;
  }

  /** A live event (realtime publication). Applied in arrival order, after any running catch-up. */
  push(event: WireEvent): Promise<void> {
    return this.enqueue(() => this.route(event));
  }

  /**
   * Brings the store up to date with the server (sync from the cursor, or a reload). Calls made
   * while one is waiting to start share it. Rejects with the network error when offline.
   */
  catchUp(): Promise<void> {
    if (this.catchUpQueued) return this.catchUpQueued;
    let failure: unknown;
    const run = this.enqueue(async () => {
      this.catchUpQueued = undefined;
      try {
        await this.syncFromCursor();
      } catch (error) {
        failure = error;
      }
    }).then(() => {
      if (failure) throw failure;
    });
    this.catchUpQueued = run;
    return run;
  }

  /** Reloads everything (query channels) and syncs from a cursor taken before the reload. */
  reload(): Promise<void> {
    let failure: unknown;
    return this.enqueue(async () => {
      try {
        await this.reloadNow();
        await this.syncFromCursor();
      } catch (error) {
        failure = error;
      }
    }).then(() => {
      if (failure) throw failure;
    });
  }

  /** Loads one channel's state into the store (after the queued events). */
  loadChannel(cid: string): Promise<void> {
    return this.enqueue(() => this.fetchChannel(cid));
  }

  /**
   * Runs `task` in the event queue (page loads that must not interleave with events), and
   * rejects with its error.
   */
  serial<T>(task: () => Promise<T>): Promise<T> {
    let result: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    return this.enqueue(async () => {
      try {
        result = { ok: true, value: await task() };
      } catch (error) {
        result = { ok: false, error };
      }
    }).then(() => {
      if (!result!.ok) throw result!.error;
      return result!.value;
    });
  }

  /** The channel query of the list (the options' query over the defaults). */
  channelQuery(): QueryChannelsBody {
    return { sort: [{ field: 'last_message_at', direction: -1 }], message_limit: 30, limit: 30, ...this.deps.query };
  }

  private async syncFromCursor(): Promise<void> {
    this.catchingUp = true;
    try {
      await this.syncPages();
    } finally {
      this.catchingUp = false;
    }
    // After the pages: the server's counts include every event applied so far.
    await this.reconcileThreadUnread();
  }

  private async syncPages(): Promise<void> {
    if (!this.deps.store.getSnapshot().syncCursor) {
      await this.reloadNow();
    }
    for (;;) {
      const since = this.deps.store.getSnapshot().syncCursor!;
      let page;
      try {
        page = await this.deps.sync.sync({ since });
      } catch (error) {
        if (!isParleyError(error, 'RESYNC_REQUIRED')) throw error;
        await this.reloadNow();
        continue;
      }
      for (const event of page.events) await this.route(event as WireEvent);
      this.deps.store.update((s) => ({ ...s, syncCursor: page.cursor }));
      if (!page.has_more) return;
    }
  }

  private async reloadNow(): Promise<void> {
    const { cursor } = await this.deps.sync.sync({});
    this.threadUnreadStale = true;
    const query = this.channelQuery();
    // As many channels as the list showed (pages loaded with loadMoreChannels), up to the API's 200.
    const shown = this.deps.store.getSnapshot().channelList.length;
    const limit = Math.min(200, Math.max(query.limit ?? 30, shown));
    const { channels, next } = await this.deps.channels.query({ ...query, limit });
    this.deps.store.update((s) => {
      // Channels with messages still in the outbox stay; the rest is replaced by the server's view.
      const keep = new Set(s.outbox.map((item) => item.cid));
      let state: ClientSnapshot = { ...s, syncCursor: cursor, channelsNext: next, hydrated: true, channels: Object.fromEntries(Object.entries(s.channels).filter(([cid]) => keep.has(cid))), positions: {} };
      for (const loaded of channels) state = upsertChannelState(state, loaded);
      return state;
    });
    await this.afterMissedEvents(null);
  }

  private async fetchChannel(cid: string): Promise<void> {
    let state: ChannelState;
    try {
      state = await this.deps.channels.get(cid, { message_limit: 30 });
    } catch (error) {
      if (isParleyError(error, 'NOT_FOUND')) {
        this.deps.store.update((s) => removeChannel(s, cid));
        return;
      }
      throw error;
    }
    this.deps.store.update((s) => upsertChannelState(s, state));
  }

  /** Applies one event, loading channels and filling gaps as needed. */
  private async route(event: WireEvent): Promise<void> {
    this.deps.onEvent?.(event);
    const store = this.deps.store;
    const cid = event.cid;
    if (cid && event.type === 'notification.added_to_channel') {
      if (!store.getSnapshot().channels[cid]) await this.fetchChannel(cid);
      return;
    }
    if (cid && event.type === 'notification.message_new') {
      const snapshot = store.getSnapshot();
      if (!snapshot.channels[cid]) return this.fetchChannel(cid);
      if (this.deps.isWatched(cid) || !event.message) return;
      // A channel without a live subscription: its new messages arrive as notifications.
      return this.route({ type: 'message.new', cid, seq: event.message.seq, created_at: event.created_at, user: event.user, message: event.message });
    }
    if (cid && event.type === 'message.new' && event.message && !store.getSnapshot().channels[cid]) {
      // A channel outside the store got a message it shows (hidden, or past the loaded pages):
      // `notification.message_new` is live-only, so a sync learns of it here.
      if (event.message.parent_id === null || event.message.show_in_channel) return this.fetchChannel(cid);
    }
    let gap = false;
    if (cid && typeof event.seq === 'number' && store.getSnapshot().channels[cid]) {
      const position = store.getSnapshot().positions[cid];
      gap = classify(position, event.seq) === 'gap';
      if (gap) await this.backfill(cid, position!.seq, event.seq);
    }
    // Counts about to be replaced by the server's (end of this catch-up) need no parent lookups.
    if (!(this.catchingUp && this.threadUnreadStale)) await this.deps.threadUnread?.prepare(event);
    store.update((s) => applyEvent(s, event, this.deps.now(), this.deps.typingTtlMs));
    // A live gap: thread-only replies may have been missed (a catch-up reconciles at its end).
    if (gap && !this.catchingUp) await this.reconcileThreadUnread();
  }

  /** Reads the server's thread unread counts when the store's may be behind. */
  private async reconcileThreadUnread(): Promise<void> {
    if (!this.threadUnreadStale || !this.deps.threadUnread) return;
    if (await this.deps.threadUnread.reconcile()) this.threadUnreadStale = false;
  }

  private async afterMissedEvents(cid: string | null): Promise<void> {
    await this.deps.afterMissedEvents?.(cid);
  }

  /** Reads the messages between `from` (exclusive) and `to` (exclusive), then stands at `to - 1`. */
  private async backfill(cid: string, from: number, to: number): Promise<void> {
    this.threadUnreadStale = true;
    if (to - from > MAX_BACKFILL) return this.fetchChannel(cid);
    let after = from;
    for (;;) {
      const page = await this.deps.messages.list(cid, { after_seq: after, limit: 200 });
      const messages = page.messages.filter((m) => m.seq < to);
      this.deps.store.update((s) => mergeMessages(s, cid, messages));
      const last = page.messages[page.messages.length - 1];
      if (!page.has_more_after || !last || last.seq >= to) break;
      after = last.seq;
    }
    this.deps.store.update((s) => mergeMessages(s, cid, [], to - 1));
    // Thread-only replies and edits are not in the channel's messages: refresh open threads.
    await this.afterMissedEvents(cid);
  }
}
