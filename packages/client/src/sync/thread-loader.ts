/**
 * Loading threads into the store: the parent (`GET /v1/messages/{id}`) and pages of replies
 * (`GET /v1/messages/{id}/replies`, ascending by seq, `before_seq` for older ones). Page loads run
 * in the sync engine's queue, so an event that arrives meanwhile is applied after the page (and
 * deduplicated by id). Live replies then come as channel events (see state/threads.ts).
 */
import { isParleyError } from '../errors.js';
import type { MessagesApi } from '../api/messages.js';
import type { ThreadReadResult } from '../api/types.js';
import type { Store } from '../state/store.js';
import { emptyThread, mergeReplies, type ThreadState } from '../state/threads.js';
import type { ThreadUnreadSync } from './thread-unread-sync.js';

interface Dependencies {
  store: Store;
  messages: Pick<MessagesApi, 'get' | 'replies'>;
  /** Runs a task in the event queue (`SyncEngine.serial`). */
  serial<T>(task: () => Promise<T>): Promise<T>;
  /** Marks threads read in the store and on the server. */
  unread: Pick<ThreadUnreadSync, 'markRead'>;
}

/**
 * `client.threads`.
 *
 * @example
 * await client.threads.load(parentId);
 * const { parent, replies } = selectThread(client.store.getSnapshot(), parentId);
 * client.send(parent!.cid, { text: 'me too', parent_id: parentId }); // shows in the thread at once
 * await client.threads.markRead(parentId); // selectThreadUnread(snapshot, parentId) → 0
 */
export class ThreadLoader {
  constructor(private readonly deps: Dependencies) {}

  /**
   * Loads a thread: its parent and its latest `limit` replies. Returns the thread as stored.
   *
   * @example
   * const thread = await client.threads.load(parentId, { limit: 50 });
   * thread.replies.length; // up to 50, oldest first
   */
  load(parentId: string, options: { limit?: number } = {}): Promise<ThreadState> {
    return this.deps.serial(async () => {
      const [parent, page] = await Promise.all([this.deps.messages.get(parentId), this.deps.messages.replies(parentId, { limit: options.limit ?? 50 })]);
      this.deps.store.update((s) => {
        const current = s.threads[parentId] ?? emptyThread(parent.cid, parentId);
        const thread = { ...mergeReplies(current, page.messages), parent, has_more_before: current.loaded ? current.has_more_before : page.has_more_before, loaded: true };
        return { ...s, threads: { ...s.threads, [parentId]: thread } };
      });
      return this.deps.store.getSnapshot().threads[parentId]!;
    });
  }

  /**
   * Marks a thread read (`POST /v1/messages/{id}/thread/read`): without `seq` its count in the
   * store goes to 0 at once, then takes the server's answer (pointer and count); your other
   * devices follow through `notification.thread_mark_read`. If the server refuses, the count comes
   * back and the promise rejects with the `ParleyError`.
   *
   * @example
   * onThreadOpened = (parentId) => client.threads.markRead(parentId);
   * selectThreadUnread(client.store.getSnapshot(), parentId); // 0 at once
   */
  markRead(parentId: string, seq?: number): Promise<ThreadReadResult> {
    return this.deps.unread.markRead(parentId, seq);
  }

  /**
   * Loads older replies (scrolling up in a thread). Returns whether even older ones exist.
   *
   * @example
   * const more = await client.threads.loadOlder(parentId);
   */
  async loadOlder(parentId: string, limit = 50): Promise<boolean> {
    if (!this.deps.store.getSnapshot().threads[parentId]?.loaded) await this.load(parentId, { limit });
    return this.deps.serial(async () => {
      const first = this.deps.store.getSnapshot().threads[parentId]?.replies[0];
      if (!first) return false;
      const page = await this.deps.messages.replies(parentId, { before_seq: first.seq, limit });
      this.deps.store.update((s) => {
        const thread = s.threads[parentId];
        if (!thread) return s;
        return { ...s, threads: { ...s.threads, [parentId]: { ...mergeReplies(thread, page.messages), has_more_before: page.has_more_before } } };
      });
      return page.has_more_before;
    });
  }

  /**
   * Brings loaded threads (of one channel, or all) up to date after events may have been missed:
   * the parent again, and every reply after the newest one known. Runs inside the event queue.
   *
   * @example
   * await loader.refresh('messaging:general');
   */
  async refresh(cid: string | null): Promise<void> {
    const threads = Object.values(this.deps.store.getSnapshot().threads).filter((t) => t.loaded && (cid === null || t.cid === cid));
    for (const thread of threads.slice(0, 20)) {
      try {
        const parent = await this.deps.messages.get(thread.parent_id);
        let after = thread.replies[thread.replies.length - 1]?.seq;
        for (let pages = 0; pages < 10; pages++) {
          const page = await this.deps.messages.replies(thread.parent_id, after === undefined ? { limit: 200 } : { after_seq: after, limit: 200 });
          this.deps.store.update((s) => {
            const current = s.threads[thread.parent_id];
            return current ? { ...s, threads: { ...s.threads, [thread.parent_id]: { ...mergeReplies(current, page.messages), parent } } } : s;
          });
          after = page.messages[page.messages.length - 1]?.seq ?? after;
          if (!page.has_more_after) break;
        }
      } catch (error) {
        // A thread whose parent is gone (deleted, channel left) leaves the store.
        if (!isParleyError(error, 'NOT_FOUND')) throw error;
        this.deps.store.update((s) => {
          const { [thread.parent_id]: _gone, ...rest } = s.threads;
          return { ...s, threads: rest };
        });
      }
    }
  }
}
