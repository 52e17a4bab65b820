/**
 * Browser storage on IndexedDB: one object store of key → value (structured clone), one
 * transaction per call.
 */
import type { Storage } from './storage.js';

/* The few IndexedDB types used here, so the package needs no DOM lib to compile. */
interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: ((this: unknown, event: unknown) => void) | null;
  onerror: ((this: unknown, event: unknown) => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: ((this: unknown, event: unknown) => void) | null;
}
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
  getAllKeys(range?: unknown): IdbRequest<unknown[]>;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  oncomplete: ((this: unknown, event: unknown) => void) | null;
  onerror: ((this: unknown, event: unknown) => void) | null;
  onabort: ((this: unknown, event: unknown) => void) | null;
  error: unknown;
}
interface IdbDatabase {
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  close(): void;
}
/**
 * The part of `IDBFactory` (`window.indexedDB`) the adapter uses.
 *
 * @example
 * new IndexedDBStorage('parley', { indexedDB: window.indexedDB });
 */
export interface IdbFactoryLike {
  open(name: string, version?: number): IdbOpenRequest;
}
/**
 * The part of `IDBKeyRange` the adapter uses.
 *
 * @example
 * new IndexedDBStorage('parley', { indexedDB, IDBKeyRange });
 */
export interface IdbKeyRangeLike {
  bound(lower: string, upper: string, lowerOpen?: boolean, upperOpen?: boolean): unknown;
}

const STORE = 'kv';

/**
 * IndexedDB adapter for browsers (and anything with an `indexedDB`, e.g. `fake-indexeddb`).
 *
 * @example
 * const client = new ParleyClient({ url, tokenProvider, storage: new IndexedDBStorage('parley') });
 */
export class IndexedDBStorage implements Storage {
  private db: Promise<IdbDatabase> | undefined;
  private readonly factory: IdbFactoryLike;
  private readonly keyRange: IdbKeyRangeLike | undefined;

  constructor(
    private readonly name = 'parley',
    options: { indexedDB?: IdbFactoryLike; IDBKeyRange?: IdbKeyRangeLike } = {},
  ) {
    const g = globalThis as { indexedDB?: IdbFactoryLike; IDBKeyRange?: IdbKeyRangeLike };
    const factory = options.indexedDB ?? g.indexedDB;
    if (!factory) throw new Error('IndexedDB is not available here: pass options.indexedDB or use another Storage');
    this.factory = factory;
    this.keyRange = options.IDBKeyRange ?? g.IDBKeyRange;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.run('readonly', (store) => store.get(key))) as T | undefined;
  }

  async set<T>(key: string, value: T): Promise<void> {
    // A JSON copy: what the other adapters store, and no surprises with class instances.
    await this.run('readwrite', (store) => store.put(JSON.parse(JSON.stringify(value)), key));
  }

  async delete(key: string): Promise<void> {
    await this.run('readwrite', (store) => store.delete(key));
  }

  async keys(prefix: string): Promise<string[]> {
    const range = this.keyRange ? this.keyRange.bound(prefix, `${prefix}\uffff`) : undefined;
    const keys = (await this.run('readonly', (store) => store.getAllKeys(range))) as unknown[];
    return keys.map(String).filter((key) => key.startsWith(prefix));
  }

  /** Closes the database (the adapter reopens it on next use). */
  async close(): Promise<void> {
    const db = await this.db;
    this.db = undefined;
    db?.close();
  }

  private open(): Promise<IdbDatabase> {
    this.db ??= new Promise<IdbDatabase>((resolve, reject) => {
      const request = this.factory.open(this.name, 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.db;
  }

  private async run(mode: 'readonly' | 'readwrite', action: (store: IdbObjectStore) => IdbRequest<unknown>): Promise<unknown> {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error ?? request.error);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  }
}
