/**
 * The thread view: a parent message and its replies as the UI shows them (memoized), and the
 * unread replies of threads you take part in.
 */
import type { ChannelState } from '@parley/protocol';
import type { ThreadUnread } from '../api/types.js';
import type { PendingAction } from './action-types.js';
import { decorate, pendingMessage } from './decorate.js';
import type { ThreadUnreadState } from './thread-unread.js';
import type { ThreadState } from './threads.js';
import type { ClientMessage, ClientSnapshot, OutboxItem } from './types.js';

/**
 * What `selectThread` returns.
 *
 * @example
 * const { parent, replies, has_more_before }: ThreadView = selectThread(snapshot, parentId);
 */
export interface ThreadView {
  /** The parent (its `reply_count` and `thread_participants` follow the server); null until known. */
  parent: ClientMessage | null;
  /** Confirmed replies by seq, then your pending ones (deduplicated by client_msg_id). */
  replies: ClientMessage[];
  /** Older replies exist on the server (`client.threads.loadOlder(parentId)`). */
  has_more_before: boolean;
  /** The thread was read from the server (`client.threads.load(parentId)`). */
  loaded: boolean;
}

interface Memo {
  thread: ThreadState | undefined;
  channel: ChannelState | undefined;
  outbox: readonly OutboxItem[];
  actions: readonly PendingAction[];
  value: ThreadView;
}
const cache = new Map<string, Memo>();

/**
 * A thread as the UI shows it. Returns the same object while its inputs are unchanged, so it can
 * be the snapshot of `useSyncExternalStore`.
 *
 * @example
 * const thread = useSyncExternalStore(client.store.subscribe, () => selectThread(client.store.getSnapshot(), parentId));
 * thread.replies.map((m) => `${m.user?.name}: ${m.text} ${m.status}`);
 */
export function selectThread(snapshot: ClientSnapshot, parentId: string): ThreadView {
  const thread = snapshot.threads[parentId];
  const cid = thread?.cid ?? findCid(snapshot, parentId);
  const channel = cid ? snapshot.channels[cid] : undefined;
  const memo = cache.get(parentId);
  if (memo && memo.thread === thread && memo.channel === channel && memo.outbox === snapshot.outbox && memo.actions === snapshot.pendingActions) return memo.value;
  const me = snapshot.userId;
  const confirmed = thread?.replies ?? [];
  const known = new Set(confirmed.map((m) => m.client_msg_id).filter(Boolean));
  const replies = confirmed.map((m) => decorate(m, channel, snapshot.pendingActions, me));
  for (const item of snapshot.outbox) {
    if (item.body.parent_id === parentId && !known.has(item.client_msg_id)) replies.push(pendingMessage(item, snapshot));
  }
  // The freshest parent: the thread's copy or the channel's, whichever was updated last.
  const inChannel = channel?.messages.find((m) => m.id === parentId);
  const parent = thread?.parent && (!inChannel || thread.parent.updated_at >= inChannel.updated_at) ? thread.parent : (inChannel ?? null);
  const value: ThreadView = {
    parent: parent ? decorate(parent, channel, snapshot.pendingActions, me) : null,
    replies,
    has_more_before: thread?.has_more_before ?? true,
    loaded: thread?.loaded ?? false,
  };
  cache.set(parentId, { thread, channel, outbox: snapshot.outbox, actions: snapshot.pendingActions, value });
  if (cache.size > 100) cache.delete(cache.keys().next().value!);
  return value;
}

function findCid(snapshot: ClientSnapshot, parentId: string): string | undefined {
  for (const [cid, channel] of Object.entries(snapshot.channels)) if (channel.messages.some((m) => m.id === parentId)) return cid;
  return snapshot.outbox.find((item) => item.body.parent_id === parentId)?.cid;
}

/**
 * Unread replies in one thread you take part in (0 when none or unknown). Live: follows replies,
 * deletes and your reads on any device.
 *
 * @example
 * const unread = useSyncExternalStore(client.store.subscribe, () => selectThreadUnread(client.store.getSnapshot(), parentId));
 * badge.textContent = unread > 0 ? String(unread) : '';
 */
export function selectThreadUnread(snapshot: ClientSnapshot, parentId: string): number {
  return snapshot.threadUnread[parentId]?.unread_replies ?? 0;
}

/**
 * What `selectUnreadThreads` returns: the threads with unread replies, newest parent first (as the
 * server lists them), how many there are (`count`) and their replies in all (`replies`).
 *
 * @example
 * const { count, replies, threads }: UnreadThreads = selectUnreadThreads(snapshot);
 */
export interface UnreadThreads {
  count: number;
  replies: number;
  threads: ThreadUnread[];
}

const unreadThreadsCache = new WeakMap<ThreadUnreadState, UnreadThreads>();

/**
 * The threads with unread replies (the "Threads" badge and list). Memoized on
 * `snapshot.threadUnread`: the same object while it is unchanged, so it can be the snapshot of
 * `useSyncExternalStore`.
 *
 * @example
 * const { count, threads } = useSyncExternalStore(client.store.subscribe, () => selectUnreadThreads(client.store.getSnapshot()));
 * threads.map((t) => `${t.unread_replies} new in ${t.cid}`);
 */
export function selectUnreadThreads(snapshot: ClientSnapshot): UnreadThreads {
  const entries = snapshot.threadUnread;
  const cached = unreadThreadsCache.get(entries);
  if (cached) return cached;
  const threads: ThreadUnread[] = [];
  let replies = 0;
  for (const [parent_id, entry] of Object.entries(entries)) {
    if (entry.unread_replies <= 0) continue;
    threads.push({ parent_id, cid: entry.cid, unread_replies: entry.unread_replies, last_read_seq: entry.last_read_seq });
    replies += entry.unread_replies;
  }
  threads.sort((a, b) => (a.parent_id < b.parent_id ? 1 : a.parent_id > b.parent_id ? -1 : 0));
  const value: UnreadThreads = { count: threads.length, replies, threads };
  unreadThreadsCache.set(entries, value);
  return value;
}
