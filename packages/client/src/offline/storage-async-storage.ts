/** React Native storage over `@react-native-async-storage/async-storage` (or anything shaped like it). */
import type { Storage } from './storage.js';

/**
 * The part of React Native's AsyncStorage the adapter uses (the package's default export fits).
 *
 * @example
 * import AsyncStorage from '@react-native-async-storage/async-storage';
 * const storage: AsyncStorageLike = AsyncStorage;
 */
export interface AsyncStorageLike {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
  getAllKeys(): Promise<readonly string[]>;
}

/**
 * AsyncStorage adapter: JSON strings under the given keys, optionally with a key prefix of its own.
 *
 * @example
 * import AsyncStorage from '@react-native-async-storage/async-storage';
 * const client = new ParleyClient({ url, tokenProvider, storage: new AsyncStorageAdapter(AsyncStorage), WebSocket });
 */
export class AsyncStorageAdapter implements Storage {
  constructor(
    private readonly storage: AsyncStorageLike,
    private readonly prefix = '',
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const text = await this.storage.getItem(this.prefix + key);
    return text === null ? undefined : (JSON.parse(text) as T);
  }

  async set<T>(key: string, value: T): Promise<void> {
    await this.storage.setItem(this.prefix + key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    await this.storage.removeItem(this.prefix + key);
  }

  async keys(prefix: string): Promise<string[]> {
    const all = await this.storage.getAllKeys();
    const full = this.prefix + prefix;
    return all.filter((key) => key.startsWith(full)).map((key) => key.slice(this.prefix.length));
  }
}
