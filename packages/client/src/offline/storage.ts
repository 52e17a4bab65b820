/**
 * Where the client keeps what must survive a restart: the outbox, drafts, the channel list and
 * recent messages, the sync cursor. Values are JSON-serialisable; one `set` is atomic.
 */

/**
 * A small async key-value store. Adapters: {@link MemoryStorage}, `IndexedDBStorage` (browser),
 * `FileStorage` (Node, from `@parley/client/node`), `AsyncStorageAdapter` (React Native).
 *
 * @example
 * class MyStorage implements Storage {
 *   async get(key) { … } async set(key, value) { … } async delete(key) { … } async keys(prefix) { … }
 * }
 */
export interface Storage {
  /** The value stored under `key`, or undefined. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Stores `value` (JSON-serialisable) under `key`, replacing the old value atomically. */
  set<T = unknown>(key: string, value: T): Promise<void>;
  /** Removes `key` (no error when absent). */
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix`. */
  keys(prefix: string): Promise<string[]>;
}

/**
 * In memory: the default (nothing survives the process), and a test double. Values are copied
 * through JSON, like every real adapter.
 *
 * @example
 * const storage = new MemoryStorage();
 * const a = new ParleyClient({ url, tokenProvider, storage });
 */
export class MemoryStorage implements Storage {
  private readonly data = new Map<string, string>();

  async get<T>(key: string): Promise<T | undefined> {
    const text = this.data.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  async set<T>(key: string, value: T): Promise<void> {
    this.data.set(key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.data.keys()].filter((key) => key.startsWith(prefix));
  }
}
