/**
 * Unread replies per thread you take part in (you replied, you wrote the parent, or you marked the
 * thread read): `snapshot.threadUnread`, keyed by parent id. Pure functions, called by the
 * client-level reducer (apply-event.ts) for every channel event and
 * `notification.thread_mark_read`, and by the sync code with the server's answers
 * (`GET /v1/me/unread`, `POST /v1/messages/{id}/thread/read`).
 *
 * The server keeps a pointer per user and thread (docs/subsystems/read-state.md, "Threads"); an
 * entry mirrors it: `last_read_seq` is the pointer as far as the client knows, `unread_replies`
 * the replies of others after it. Entries with 0 are kept: they say that you take part, so the next
 * reply of someone else counts even when the parent is not in the store.
 */
import type { Message, WireEvent } from '@parley/protocol';
import type { ThreadUnread } from '../api/types.js';

/**
 * One thread's unread state in the store (`snapshot.threadUnread[parentId]`).
 *
 * @example
 * const entry: ThreadUnreadEntry | undefined = snapshot.threadUnread[parentId];
 * entry?.unread_replies; // 2
 */
export interface ThreadUnreadEntry {
  cid: string;
  /** Replies of others after `last_read_seq` (not deleted). */
  unread_replies: number;
  /** Your read pointer in the thread (a channel seq). */
  last_read_seq: number;
}

/**
 * `snapshot.threadUnread`: entries by parent message id.
 *
 * @example
 * const unread: ThreadUnreadState = snapshot.threadUnread;
 */
export type ThreadUnreadState = Readonly<Record<string, ThreadUnreadEntry>>;

/** The server lists at most this many threads (the newest) in `GET /v1/me/unread`. */
const SERVER_LIST_LIMIT = 200;
/** Entries kept at most (read ones beyond it are dropped, oldest parent first). */
const MAX_ENTRIES = 500;

/**
 * Whether `me` takes part in the thread of `parentId`: known from an entry, or from the parent
 * (its author, or in its `thread_participants`). `undefined` when neither is known.
 *
 * @example
 * takesPartInThread(snapshot.threadUnread, parentId, findMessage(snapshot, parentId), 'alice'); // true | false | undefined
 */
export function takesPartInThread(entries: ThreadUnreadState, parentId: string, parent: Message | undefined, me: string): boolean | undefined {
  if (entries[parentId]) return true;
  if (!parent) return undefined;
  return parent.user?.id === me || parent.thread_participants.includes(me);
}

/**
 * Applies one event (already checked for order by the caller) to the thread unread state:
 * - `message.new` of a reply by someone else in a thread you take part in: +1;
 * - your own reply: the thread is read up to it (0);
 * - `message.deleted` of an unread reply (after the pointer, not yours): −1; of a parent: the entry goes;
 * - `channel.truncated`: threads whose parent is gone leave;
 * - `notification.thread_mark_read` (your other devices): the server's pointer and count, when its
 *   pointer is ahead of the known one (a replayed, older notification changes nothing).
 *
 * `find` looks up a message in the store as it was before the event (the parent, the deleted reply).
 *
 * @example
 * const next = applyThreadUnreadEvent(snapshot.threadUnread, event, 'alice', (id) => findMessage(snapshot, id));
 */
export function applyThreadUnreadEvent(entries: ThreadUnreadState, event: WireEvent, me: string, find: (id: string) => Message | undefined): ThreadUnreadState {
  if (event.type === 'notification.thread_mark_read') {
    const parentId = event.parent_id;
    if (typeof parentId !== 'string' || typeof event.cid !== 'string' || typeof event.last_read_seq !== 'number') return entries;
    return applyThreadRead(entries, parentId, { cid: event.cid, last_read_seq: event.last_read_seq, unread_replies: Number(event.unread_replies ?? 0) }, false);
  }
  if (event.type === 'channel.truncated' && event.channel) return truncate(entries, event.channel.cid, event.channel.truncated_seq, find);
  const message = event.message;
  if (!message) return entries;
  if (event.type === 'message.new' && message.parent_id) return onReply(entries, message, me, find);
  if (event.type === 'message.deleted') {
    if (!message.parent_id) return entries[message.id] ? without(entries, (id) => id === message.id) : entries;
    return onReplyDeleted(entries, message, me, event.hard_delete === true, find);
  }
  return entries;
}

/**
 * Sets a thread's pointer and count from the server (`POST …/thread/read` answer, or its
 * `notification.thread_mark_read`). The pointer never moves back: an answer behind the known
 * pointer is ignored; `fresh` (the answer to your own request) also applies at the same pointer.
 *
 * @example
 * const next = applyThreadRead(snapshot.threadUnread, parentId, { cid, last_read_seq: 42, unread_replies: 0 }, true);
 */
export function applyThreadRead(entries: ThreadUnreadState, parentId: string, read: ThreadUnreadEntry, fresh: boolean): ThreadUnreadState {
  const current = entries[parentId];
  if (current && (read.last_read_seq < current.last_read_seq || (!fresh && read.last_read_seq === current.last_read_seq))) return entries;
  return put(entries, parentId, { cid: read.cid, unread_replies: Math.max(0, read.unread_replies), last_read_seq: read.last_read_seq });
}

/**
 * The optimistic side of marking a thread read: 0 unread at once (the server's answer then sets
 * the pointer). `cid` is needed only when the thread has no entry yet.
 *
 * @example
 * store.update((s) => ({ ...s, threadUnread: markThreadReadLocally(s.threadUnread, parentId, cid) }));
 */
export function markThreadReadLocally(entries: ThreadUnreadState, parentId: string, cid: string | undefined): ThreadUnreadState {
  const current = entries[parentId];
  if (current) return put(entries, parentId, { ...current, unread_replies: 0 });
  return cid ? put(entries, parentId, { cid, unread_replies: 0, last_read_seq: 0 }) : entries;
}

/**
 * Replaces the counts with the server's list (`GET /v1/me/unread` → `threads`, the threads with
 * unread replies). Known threads the list leaves out are read (kept with 0), except, when the list
 * is full (the server lists the newest 200), those older than its oldest entry, which keep their count.
 *
 * @example
 * const { threads } = await client.read.unread();
 * store.update((s) => ({ ...s, threadUnread: withServerThreadUnread(s.threadUnread, threads) }));
 */
export function withServerThreadUnread(entries: ThreadUnreadState, threads: readonly ThreadUnread[]): ThreadUnreadState {
  const next: Record<string, ThreadUnreadEntry> = {};
  const full = threads.length >= SERVER_LIST_LIMIT;
  let oldest: string | undefined;
  for (const t of threads) {
    next[t.parent_id] = same(entries[t.parent_id], t) ? entries[t.parent_id]! : { cid: t.cid, unread_replies: t.unread_replies, last_read_seq: t.last_read_seq };
    if (oldest === undefined || t.parent_id < oldest) oldest = t.parent_id;
  }
  for (const [id, entry] of Object.entries(entries)) {
    if (next[id]) continue;
    next[id] = entry.unread_replies === 0 || (full && oldest !== undefined && id < oldest) ? entry : { ...entry, unread_replies: 0 };
  }
  const kept = cap(next);
  const keys = Object.keys(kept);
  return keys.length === Object.keys(entries).length && keys.every((id) => kept[id] === entries[id]) ? entries : kept;
}

/**
 * Drops the threads of a channel (left, removed, deleted).
 *
 * @example
 * const next = dropThreadUnread(snapshot.threadUnread, 'messaging:old');
 */
export function dropThreadUnread(entries: ThreadUnreadState, cid: string): ThreadUnreadState {
  return without(entries, (_id, entry) => entry.cid === cid);
}

function onReply(entries: ThreadUnreadState, reply: Message, me: string, find: (id: string) => Message | undefined): ThreadUnreadState {
  const parentId = reply.parent_id!;
  const current = entries[parentId];
  if (reply.user?.id === me) {
    // The server moves your pointer to your reply: the thread is read.
    const last_read_seq = Math.max(current?.last_read_seq ?? 0, reply.seq);
    if (current && current.unread_replies === 0 && current.last_read_seq === last_read_seq) return entries;
    return put(entries, parentId, { cid: reply.cid, unread_replies: 0, last_read_seq });
  }
  if (reply.type === 'deleted' || (current && reply.seq <= current.last_read_seq)) return entries;
  if (!current && !takesPartInThread(entries, parentId, find(parentId), me)) return entries;
  // Without an entry the thread had nothing unread (the server lists every unread one): counting starts here.
  const base = current ?? { cid: reply.cid, unread_replies: 0, last_read_seq: reply.seq - 1 };
  return put(entries, parentId, { ...base, unread_replies: base.unread_replies + 1 });
}

function onReplyDeleted(entries: ThreadUnreadState, tombstone: Message, me: string, hard: boolean, find: (id: string) => Message | undefined): ThreadUnreadState {
  const current = entries[tombstone.parent_id!];
  if (!current || current.unread_replies === 0 || tombstone.seq <= current.last_read_seq || tombstone.user?.id === me) return entries;
  // A hard delete of a reply already shown deleted was counted by the first delete.
  const previous = find(tombstone.id);
  if (hard && previous && (previous.type === 'deleted' || previous.deleted_at)) return entries;
  return put(entries, tombstone.parent_id!, { ...current, unread_replies: current.unread_replies - 1 });
}

/** A truncation removes the threads whose parent is at or before `truncatedSeq`. */
function truncate(entries: ThreadUnreadState, cid: string, truncatedSeq: number, find: (id: string) => Message | undefined): ThreadUnreadState {
  return without(entries, (id, entry) => {
    if (entry.cid !== cid) return false;
    // The pointer starts at the parent: a pointer at or before the cut means the parent is too.
    if (entry.last_read_seq <= truncatedSeq) return true;
    const parent = find(id);
    return parent !== undefined && parent.seq <= truncatedSeq;
  });
}

function put(entries: ThreadUnreadState, parentId: string, entry: ThreadUnreadEntry): ThreadUnreadState {
  const current = entries[parentId];
  if (current && current.cid === entry.cid && current.unread_replies === entry.unread_replies && current.last_read_seq === entry.last_read_seq) return entries;
  return cap({ ...entries, [parentId]: entry });
}

function without(entries: ThreadUnreadState, drop: (id: string, entry: ThreadUnreadEntry) => boolean): ThreadUnreadState {
  const kept = Object.entries(entries).filter(([id, entry]) => !drop(id, entry));
  return kept.length === Object.keys(entries).length ? entries : Object.fromEntries(kept);
}

/** Keeps at most MAX_ENTRIES: read threads of the oldest parents go first (ids are time-ordered). */
function cap<T extends ThreadUnreadState>(entries: T): T {
  const ids = Object.keys(entries);
  if (ids.length <= MAX_ENTRIES) return entries;
  const read = ids.filter((id) => entries[id]!.unread_replies === 0).sort();
  const drop = new Set(read.slice(0, ids.length - MAX_ENTRIES));
  return Object.fromEntries(Object.entries(entries).filter(([id]) => !drop.has(id))) as T;
}

function same(entry: ThreadUnreadEntry | undefined, t: ThreadUnread): boolean {
  return !!entry && entry.cid === t.cid && entry.unread_replies === t.unread_replies && entry.last_read_seq === t.last_read_seq;
}
