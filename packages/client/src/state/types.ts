/** The shape of the client's state: one immutable snapshot, replaced (never mutated) on change. */
import type { ChannelState, Message, SendMessageBody, User, UserRef } from '@parley/protocol';
import type { PendingAction } from './action-types.js';
import type { Position } from './positions.js';
import type { ThreadUnreadState } from './thread-unread.js';
import type { ThreadState } from './threads.js';

/**
 * The connection as the UI should show it.
 * - `idle`: `connect()` not called yet; `closed`: `close()` was called.
 * - `connecting`: first attempt in progress; `connected`: the server answers.
 * - `offline`: the server is unreachable; the SDK keeps retrying with backoff.
 * - `auth-failed`: the token was refused for good; nothing retries until `reconnect()`.
 *
 * @example
 * if (snapshot.connection === 'offline') showBanner('Waiting for network…');
 */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'offline' | 'auth-failed' | 'closed';

/**
 * A message waiting in the outbox (persisted). `sending` is retried with backoff; `failed` waits
 * for `retry()` or `cancel()`.
 *
 * @example
 * const failed = snapshot.outbox.filter((item) => item.status === 'failed');
 */
export interface OutboxItem {
  client_msg_id: string;
  cid: string;
  user_id: string;
  body: SendMessageBody & { client_msg_id: string };
  status: 'sending' | 'failed';
  /** Attempts the server answered with a transient error (network errors do not count). */
  attempts: number;
  /** Client clock, for display only: order comes from the server's seq. */
  created_at: string;
  error: { code: string; message: string } | null;
}

/**
 * Someone typing in a channel (or a thread, `parent_id`). Expires on the receiver's clock.
 *
 * @example
 * const names = Object.values(snapshot.typing[cid] ?? {}).map((t) => t.user.name);
 */
export interface TypingEntry {
  user: UserRef;
  parent_id: string | null;
  expires_at: number;
}

/**
 * A draft per channel, or per thread (`parent_id`); persisted.
 *
 * @example
 * client.drafts.set('messaging:general', { text: 'half-written…' });
 */
export interface Draft {
  cid: string;
  parent_id: string | null;
  text: string;
  updated_at: string;
}

/**
 * Delivery status of a message as shown to its sender.
 * `sending`/`failed`: still in the outbox; `sent`: the server has it; `delivered`/`read`: another
 * member's pointer reached it; `received`: someone else's message.
 *
 * @example
 * const tick = { sending: '🕓', failed: '⚠', sent: '✓', delivered: '✓✓', read: '👁', received: '' }[message.status];
 */
export type MessageStatus = 'sending' | 'failed' | 'sent' | 'delivered' | 'read' | 'received';

/**
 * A message as the UI shows it: a confirmed one from the channel state, or an optimistic one
 * from the outbox (`pending: true`, `id` = its client_msg_id, `seq` 0), with reactions pending
 * confirmation applied.
 *
 * @example
 * for (const m of selectMessages(snapshot, cid)) render(m.text, m.status);
 */
export type ClientMessage = Message & {
  status: MessageStatus;
  /** Not on the server yet (an outbox send). */
  pending: boolean;
  /** A change of yours (reaction, edit, delete) is shown but not confirmed yet. */
  syncing: boolean;
};

/**
 * Everything the client knows. Immutable: every change produces a new snapshot, and parts that
 * did not change keep their identity (cheap equality checks for React).
 *
 * @example
 * const snapshot = client.store.getSnapshot();
 * snapshot.channelList.map((cid) => snapshot.channels[cid]!.channel.name);
 */
export interface ClientSnapshot {
  userId: string | null;
  me: User | null;
  connection: ConnectionState;
  /** True once storage has been read (cold start) or the network answered. */
  hydrated: boolean;
  /** Channel states by cid (the protocol's `ChannelState`, kept by `applyChannelEvent`). */
  channels: Readonly<Record<string, ChannelState>>;
  /** Cids of visible (not hidden) channels, most recent activity first. Always sorted, no duplicates. */
  channelList: readonly string[];
  /** The cursor of the next page of the channel query (`loadMoreChannels`); null when all are loaded. */
  channelsNext: string | null;
  /** The highest channel-event seq applied per channel (dedupe and gap detection). */
  positions: Readonly<Record<string, Position>>;
  /** The `/v1/sync` cursor that the state reflects. */
  syncCursor: string | null;
  outbox: readonly OutboxItem[];
  /** Reactions, edits and deletes shown before the server confirmed them (queued, persisted). */
  pendingActions: readonly PendingAction[];
  /** Threads by parent message id: replies ordered by seq (see `selectThread`). */
  threads: Readonly<Record<string, ThreadState>>;
  /**
   * Unread replies per thread you take part in, by parent id (see `selectThreadUnread`,
   * `selectUnreadThreads`): read from `GET /v1/me/unread` at connect, then kept by events. Persisted.
   */
  threadUnread: ThreadUnreadState;
  typing: Readonly<Record<string, Readonly<Record<string, TypingEntry>>>>;
  /** Users seen online (connections counted by join/leave); absent = unknown/offline. */
  presence: Readonly<Record<string, number>>;
  drafts: Readonly<Record<string, Draft>>;
}

/**
 * The empty state.
 *
 * @example
 * const store = new Store(initialSnapshot('alice'));
 */
export function initialSnapshot(userId: string | null = null): ClientSnapshot {
  return {
    userId,
    me: null,
    connection: 'idle',
    hydrated: false,
    channels: {},
    channelList: [],
    channelsNext: null,
    positions: {},
    syncCursor: null,
    outbox: [],
    pendingActions: [],
    threads: {},
    threadUnread: {},
    typing: {},
    presence: {},
    drafts: {},
  };
}
