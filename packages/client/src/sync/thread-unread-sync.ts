/**
 * The network side of `snapshot.threadUnread` (the pure part is state/thread-unread.ts):
 *
 * - `reconcile`: the server's counts (`GET /v1/me/unread` → `threads`) replace the store's, after
 *   the first catch-up of a session and after events may have been missed (a reload, a gap);
 * - `prepare`: a reply of someone else to a parent that is not in the store, in a thread with no
 *   entry: the parent is read once (`GET /v1/messages/{id}`) to know whether you take part (you wrote
 *   it or replied), so the reply counts even in a thread of an old message;
 * - `markRead`: 0 at once, then the server's pointer and count (reverted if the server refuses).
 */
import type { Message, WireEvent } from '@parley/protocol';
import type { MessagesApi } from '../api/messages.js';
import type { ReadStateApi } from '../api/read-state.js';
import type { ThreadReadResult } from '../api/types.js';
import { isParleyError, ParleyError } from '../errors.js';
import { findMessage } from '../state/apply-event.js';
import { classify } from '../state/positions.js';
import type { Store } from '../state/store.js';
import { applyThreadRead, markThreadReadLocally, takesPartInThread, withServerThreadUnread } from '../state/thread-unread.js';

interface Dependencies {
  store: Store;
  read: Pick<ReadStateApi, 'unread' | 'markThreadRead'>;
  messages: Pick<MessagesApi, 'get'>;
  onError(error: unknown): void;
}

/** Parents read to learn that you do not take part (not read again this session). */
const MAX_REMEMBERED = 1_000;

/**
 * Keeps thread unread counts in step with the server (used by the sync engine and `client.threads`).
 *
 * @example
 * const tracker = new ThreadUnreadSync({ store, read: client.read, messages: client.messages, onError: console.error });
 * await tracker.reconcile();
 * selectUnreadThreads(store.getSnapshot()).count;
 */
export class ThreadUnreadSync {
  private readonly notMine = new Set<string>();

  constructor(private readonly deps: Dependencies) {}

  /**
   * Replaces the store's counts with the server's. Returns false (the error reported unless it is
   * a network one) when the server could not be read.
   *
   * @example
   * if (!(await tracker.reconcile())) scheduleRetry();
   */
  async reconcile(): Promise<boolean> {
    let threads;
    try {
      threads = (await this.deps.read.unread()).threads ?? [];
    } catch (error) {
      if (!(error instanceof ParleyError && error.transient)) this.deps.onError(error);
      return false;
    }
    this.deps.store.update((s) => {
      const threadUnread = withServerThreadUnread(s.threadUnread, threads);
      return threadUnread === s.threadUnread ? s : { ...s, threadUnread };
    });
    return true;
  }

  /**
   * Before an event is applied: for a reply of someone else whose thread the store cannot place
   * (no entry, parent unknown), reads the parent and, if you take part, starts the thread's entry
   * (so the reducer counts the reply). Never throws: a failed read just leaves the reply uncounted.
   *
   * @example
   * await tracker.prepare(event);
   * store.update((s) => applyEvent(s, event, Date.now()));
   */
  async prepare(event: WireEvent): Promise<void> {
    const reply = event.message;
    if (event.type !== 'message.new' || !reply?.parent_id || typeof event.seq !== 'number') return;
    const snapshot = this.deps.store.getSnapshot();
    const me = snapshot.userId;
    const parentId = reply.parent_id;
    if (!me || reply.user?.id === me || reply.type === 'deleted' || !snapshot.channels[reply.cid] || this.notMine.has(parentId)) return;
    if (classify(snapshot.positions[reply.cid], event.seq) === 'skip') return;
    if (takesPartInThread(snapshot.threadUnread, parentId, findMessage(snapshot, parentId), me) !== undefined) return;
    let parent: Message;
    try {
      parent = await this.deps.messages.get(parentId);
    } catch (error) {
      if (isParleyError(error, 'NOT_FOUND')) this.remember(parentId);
      else if (!(error instanceof ParleyError && error.transient)) this.deps.onError(error);
      return;
    }
    if (!takesPartInThread({}, parentId, parent, me)) {
      this.remember(parentId);
      return;
    }
    // Nothing of the thread was unread (it would have an entry): counting starts at this reply.
    this.deps.store.update((s) => (s.threadUnread[parentId] ? s : { ...s, threadUnread: { ...s.threadUnread, [parentId]: { cid: reply.cid, unread_replies: 0, last_read_seq: reply.seq - 1 } } }));
  }

  /**
   * Marks a thread read: 0 unread in the store at once (without `seq`), then the server's pointer
   * and count; if the server refuses, the previous count comes back and the error is thrown.
   *
   * @example
   * await tracker.markRead(parentId);
   */
  async markRead(parentId: string, seq?: number): Promise<ThreadReadResult> {
    const store = this.deps.store;
    const before = store.getSnapshot();
    const previous = before.threadUnread[parentId];
    let optimistic: typeof previous;
    if (seq === undefined) {
      const cid = previous?.cid ?? before.threads[parentId]?.cid ?? findMessage(before, parentId)?.cid;
      store.update((s) => {
        const threadUnread = markThreadReadLocally(s.threadUnread, parentId, cid);
        return threadUnread === s.threadUnread ? s : { ...s, threadUnread };
      });
      optimistic = store.getSnapshot().threadUnread[parentId];
    }
    let result: ThreadReadResult;
    try {
      result = await this.deps.read.markThreadRead(parentId, seq);
    } catch (error) {
      store.update((s) => {
        // Revert, unless something newer (an event, an answer) changed the entry meanwhile.
        if (optimistic === undefined || s.threadUnread[parentId] !== optimistic || optimistic === previous) return s;
        if (previous) return { ...s, threadUnread: { ...s.threadUnread, [parentId]: previous } };
        const { [parentId]: _gone, ...rest } = s.threadUnread;
        return { ...s, threadUnread: rest };
      });
      throw error;
    }
    const { thread } = result;
    store.update((s) => {
      const threadUnread = applyThreadRead(s.threadUnread, parentId, { cid: thread.cid, last_read_seq: thread.last_read_seq, unread_replies: thread.unread_replies }, true);
      return threadUnread === s.threadUnread ? s : { ...s, threadUnread };
    });
    return result;
  }

  private remember(parentId: string): void {
    if (this.notMine.size >= MAX_REMEMBERED) this.notMine.delete(this.notMine.values().next().value!);
    this.notMine.add(parentId);
  }
}
