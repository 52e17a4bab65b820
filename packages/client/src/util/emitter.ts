/**
 * A tiny typed event emitter (no Node `events` in the browser bundle).
 *
 * @example
 * const log: Listener<string> = (value) => console.log(value);
 */

export type Listener<T> = (value: T) => void;

/**
 * Typed events: `on` returns the unsubscribe function.
 *
 * @example
 * const events = new Emitter<{ ping: number }>();
 * const off = events.on('ping', (n) => console.log(n));
 * events.emit('ping', 1);
 * off();
 */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<Listener<any>>>();

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(value);
      } catch (error) {
        // A throwing listener must not break the SDK's own bookkeeping.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
