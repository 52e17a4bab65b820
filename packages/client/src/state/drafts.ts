/** Drafts per channel and per thread, kept in the store (and so persisted with it). */
import type { Store } from './store.js';
import { draftKey } from './selectors.js';

/**
 * `client.drafts`.
 *
 * @example
 * client.drafts.set('messaging:general', 'see you at');
 * client.drafts.get('messaging:general')?.text; // 'see you at'
 * client.drafts.set('messaging:general', 'reply…', parentId); // a thread's draft
 */
export class Drafts {
  constructor(private readonly store: Store) {}

  /**
   * The draft of a channel or thread.
   *
   * @example
   * const text = client.drafts.get(cid)?.text ?? '';
   */
  get(cid: string, parentId: string | null = null) {
    return this.store.getSnapshot().drafts[draftKey(cid, parentId)];
  }

  /**
   * Saves a draft; empty text removes it.
   *
   * @example
   * client.drafts.set(cid, input.value);
   */
  set(cid: string, text: string, parentId: string | null = null): void {
    const key = draftKey(cid, parentId);
    this.store.update((s) => {
      if (!text) {
        if (!s.drafts[key]) return s;
        const { [key]: _gone, ...drafts } = s.drafts;
        return { ...s, drafts };
      }
      if (s.drafts[key]?.text === text) return s;
      return { ...s, drafts: { ...s.drafts, [key]: { cid, parent_id: parentId, text, updated_at: new Date().toISOString() } } };
    });
  }

  /**
   * Removes a draft (after sending).
   *
   * @example
   * client.drafts.clear(cid);
   */
  clear(cid: string, parentId: string | null = null): void {
    this.set(cid, '', parentId);
  }
}
