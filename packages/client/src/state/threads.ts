/**
 * Threads in the store: per parent message, its replies ordered by seq and deduplicated by id.
 * Pure functions over `snapshot.threads`, called by the client-level reducer (apply-event.ts) for
 * every channel event and by the thread loader for pages of `GET /v1/messages/{id}/replies`.
 *
 * A thread enters the store when it is loaded (`client.threads.load`) or when one of your own
 * replies is confirmed (so a reply you sent stays visible); replies of other threads are not kept
 * (their parents' `reply_count` / `thread_participants` still follow the server's
 * `message.updated` events through the channel reducer).
 */
import type { Message, Reaction, WireEvent } from '@parley/protocol';

/**
 * One thread. `parent` is the parent message as last seen (null until known; the channel's copy
 * is used by `selectThread` meanwhile).
 *
 * @example
 * const thread: ThreadState | undefined = snapshot.threads[parentId];
 * thread?.replies.map((m) => m.text);
 */
export interface ThreadState {
  cid: string;
  parent_id: string;
  parent: Message | null;
  /** Confirmed replies, ascending by seq, each id once. */
  replies: Message[];
  /** Older replies exist on the server (`client.threads.loadOlder`). */
  has_more_before: boolean;
  /** True once read from the server; a thread known only from your own replies may miss others. */
  loaded: boolean;
}

type Threads = Readonly<Record<string, ThreadState>>;

/**
 * An empty thread entry.
 *
 * @example
 * const thread = emptyThread('messaging:general', parentId);
 */
export function emptyThread(cid: string, parentId: string): ThreadState {
  return { cid, parent_id: parentId, parent: null, replies: [], has_more_before: true, loaded: false };
}

/**
 * Merges replies read outside the event stream (a page, a send's answer): new ids are added, known
 * ones replaced only by a newer version (`updated_at`), the result sorted by seq.
 *
 * @example
 * const next = mergeReplies(thread, page.messages);
 */
export function mergeReplies(thread: ThreadState, messages: readonly Message[]): ThreadState {
  let replies = thread.replies;
  for (const message of messages) {
    if (message.parent_id !== thread.parent_id) continue;
    const index = replies.findIndex((m) => m.id === message.id);
    if (index === -1) replies = [...replies, message];
    else if (message.updated_at > replies[index]!.updated_at) replies = replies.map((m, i) => (i === index ? message : m));
  }
  if (replies === thread.replies) return thread;
  return { ...thread, replies: [...replies].sort((a, b) => a.seq - b.seq) };
}

/**
 * Adds the replies among `messages` to their threads: to threads in the store, and to new entries
 * for your own replies (`me`).
 *
 * @example
 * threads = mergeIntoThreads(snapshot.threads, [sentReply], 'alice');
 */
export function mergeIntoThreads(threads: Threads, messages: readonly Message[], me: string): Threads {
  let next = threads;
  for (const message of messages) {
    const parentId = message.parent_id;
    if (!parentId) continue;
    const current = next[parentId] ?? (message.user?.id === me ? emptyThread(message.cid, parentId) : undefined);
    if (!current) continue;
    const merged = mergeReplies(current, [message]);
    if (merged !== next[parentId]) next = { ...next, [parentId]: merged };
  }
  return next;
}

/**
 * Applies one channel event to the threads (already checked for order by the caller): new replies,
 * edits, deletes and reactions of replies, updates of parents, truncation.
 *
 * @example
 * threads = applyThreadEvent(snapshot.threads, event, 'alice');
 */
export function applyThreadEvent(threads: Threads, event: WireEvent, me: string): Threads {
  if (event.type === 'channel.truncated' && event.channel) return truncate(threads, event.channel.cid, event.channel.truncated_seq);
  const message = event.message;
  if (!message) return threads;
  if (event.type === 'message.new') return message.parent_id ? applyNewReply(threads, message, me) : threads;
  const own = event.type.startsWith('reaction.') && event.user?.id === me ? (event.user_reactions ?? []) : undefined;
  const hard = event.type === 'message.deleted' && event.hard_delete === true;
  let next = threads;
  const parentId = message.parent_id;
  if (parentId && next[parentId]) {
    const thread = next[parentId];
    const replies = hard ? thread.replies.filter((m) => m.id !== message.id) : thread.replies.map((m) => (m.id === message.id ? withOwn(message, m, own) : m));
    next = { ...next, [parentId]: { ...thread, replies } };
  }
  const asParent = next[message.id];
  if (asParent) next = { ...next, [message.id]: { ...asParent, parent: hard ? null : withOwn(message, asParent.parent, own) } };
  return next;
}

/**
 * Drops the threads of a channel (left, removed, deleted).
 *
 * @example
 * threads = dropThreads(snapshot.threads, 'messaging:old');
 */
export function dropThreads(threads: Threads, cid: string): Threads {
  const kept = Object.entries(threads).filter(([, thread]) => thread.cid !== cid);
  return kept.length === Object.keys(threads).length ? threads : Object.fromEntries(kept);
}

function applyNewReply(threads: Threads, message: Message, me: string): Threads {
  const parentId = message.parent_id!;
  const thread = threads[parentId];
  if (!thread && message.user?.id !== me) return threads;
  const current = thread ?? emptyThread(message.cid, parentId);
  if (current.replies.some((m) => m.id === message.id)) return threads;
  return { ...threads, [parentId]: { ...current, replies: [...current.replies, message].sort((a, b) => a.seq - b.seq) } };
}

/** Events carry no viewer-specific reactions: keep the known ones unless the event is your own reaction. */
function withOwn(message: Message, previous: Message | null | undefined, own: Reaction[] | undefined): Message {
  return { ...message, own_reactions: own ?? previous?.own_reactions ?? message.own_reactions };
}

function truncate(threads: Threads, cid: string, truncatedSeq: number): Threads {
  let next = threads;
  for (const [id, thread] of Object.entries(threads)) {
    if (thread.cid !== cid) continue;
    if (thread.parent && thread.parent.seq <= truncatedSeq) {
      const { [id]: _gone, ...rest } = next;
      next = rest;
      continue;
    }
    const replies = thread.replies.filter((m) => m.seq > truncatedSeq);
    if (replies.length !== thread.replies.length) next = { ...next, [id]: { ...thread, replies } };
  }
  return next;
}
