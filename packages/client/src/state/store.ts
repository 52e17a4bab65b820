/**
 * The external store: `subscribe(listener) → unsubscribe` and `getSnapshot()`, the contract of
 * React's `useSyncExternalStore`. Updates are pure functions of the previous snapshot.
 */
import { type ClientSnapshot, initialSnapshot } from './types.js';
import { sortChannelList } from './channel-list.js';

/**
 * Holds the current {@link ClientSnapshot} and notifies listeners after each change (once per
 * `batch`).
 *
 * @example
 * const snapshot = useSyncExternalStore(client.store.subscribe, client.store.getSnapshot);
 */
export class Store {
  private state: ClientSnapshot;
  private readonly listeners = new Set<() => void>();
  private depth = 0;
  private dirty = false;

  constructor(initial: ClientSnapshot = initialSnapshot()) {
    this.state = initial;
  }

  /** Arrow properties, so they can be passed around unbound (as React does). */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  readonly getSnapshot = (): ClientSnapshot => this.state;

  /**
   * Replaces the snapshot with `update(previous)`; the channel list is re-sorted when channels
   * changed. Returning the same object is a no-op.
   */
  update(update: (state: ClientSnapshot) => ClientSnapshot): void {
    const previous = this.state;
    let next = update(previous);
    if (next === previous) return;
    if (next.channels !== previous.channels) {
      const list = sortChannelList(next.channels);
      next = { ...next, channelList: sameList(list, previous.channelList) ? previous.channelList : list };
    }
    this.state = next;
    this.dirty = true;
    if (this.depth === 0) this.flush();
  }

  /** Runs `fn` and notifies once at the end. */
  batch<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
      if (this.depth === 0) this.flush();
    }
  }

  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    for (const listener of [...this.listeners]) listener();
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
