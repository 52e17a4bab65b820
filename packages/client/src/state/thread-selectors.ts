/** The thread view: a parent message and its replies as the UI shows them (memoized). */
import type { ChannelState } from '@parley/protocol';
import type { PendingAction } from './action-types.js';
import { decorate, pendingMessage } from './decorate.js';
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
