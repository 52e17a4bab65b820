/**
 * One conformance suite for every Storage adapter: memory, IndexedDB (fake-indexeddb, a full
 * in-memory implementation of the IndexedDB API), file (Node), AsyncStorage (an in-memory object
 * with React Native AsyncStorage's API).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, describe, expect, it } from 'vitest';
import { AsyncStorageAdapter, IndexedDBStorage, MemoryStorage, Persister, initialSnapshot, type AsyncStorageLike, type Storage } from '@parley/client';
import { FileStorage } from '@parley/client/node';

/** What @react-native-async-storage/async-storage offers, in memory. */
function fakeAsyncStorage(): AsyncStorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: async (key) => data.get(key) ?? null,
    setItem: async (key, value) => void data.set(key, value),
    removeItem: async (key) => void data.delete(key),
    getAllKeys: async () => [...data.keys()],
  };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

const adapters: Array<[string, () => Promise<{ storage: Storage; reopen: () => Storage }>]> = [
  ['memory', async () => {
    const storage = new MemoryStorage();
    return { storage, reopen: () => storage };
  }],
  ['indexeddb', async () => {
    const indexedDB = new IDBFactory();
    const name = `parley-${Math.random()}`;
    return { storage: new IndexedDBStorage(name, { indexedDB, IDBKeyRange }), reopen: () => new IndexedDBStorage(name, { indexedDB, IDBKeyRange }) };
  }],
  ['file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-storage-'));
    dirs.push(dir);
    return { storage: new FileStorage(dir), reopen: () => new FileStorage(dir) };
  }],
  ['async-storage', async () => {
    const backing = fakeAsyncStorage();
    return { storage: new AsyncStorageAdapter(backing, '@app/'), reopen: () => new AsyncStorageAdapter(backing, '@app/') };
  }],
];

describe.each(adapters)('Storage: %s', (_name, make) => {
  it('get / set / delete, JSON values, absent keys', async () => {
    const { storage } = await make();
    expect(await storage.get('missing')).toBeUndefined();
    await storage.set('a', { n: 1, list: [1, 'two', null], nested: { ok: true } });
    expect(await storage.get('a')).toEqual({ n: 1, list: [1, 'two', null], nested: { ok: true } });
    await storage.set('a', 'replaced');
    expect(await storage.get('a')).toBe('replaced');
    await storage.delete('a');
    await storage.delete('a');
    expect(await storage.get('a')).toBeUndefined();
  });

  it('stores a copy: later mutation of the value does not change what is stored', async () => {
    const { storage } = await make();
    const value = { list: [1] };
    await storage.set('k', value);
    value.list.push(2);
    expect(await storage.get('k')).toEqual({ list: [1] });
  });

  it('lists keys by prefix, including keys with punctuation (cids, user ids)', async () => {
    const { storage } = await make();
    const keys = ['parley:v1:alice:channel:messaging:general', 'parley:v1:alice:channel:team:a/b c', 'parley:v1:alice:meta', 'parley:v1:bob:meta', 'other'];
    for (const key of keys) await storage.set(key, key);
    expect((await storage.keys('parley:v1:alice:channel:')).sort()).toEqual(keys.slice(0, 2).sort());
    expect((await storage.keys('parley:v1:')).length).toBe(4);
    for (const key of keys) expect(await storage.get(key)).toBe(key);
  });

  it('survives reopening (a new instance over the same place)', async () => {
    const { storage, reopen } = await make();
    await storage.set('outbox', [{ client_msg_id: 'c-1' }]);
    expect(await reopen().get('outbox')).toEqual([{ client_msg_id: 'c-1' }]);
  });

  it('the last of many concurrent writes to one key wins', async () => {
    const { storage } = await make();
    await Promise.all(Array.from({ length: 20 }, (_, i) => storage.set('k', i)));
    expect(await storage.get('k')).toBe(19);
  });

  it('round-trips a client snapshot through the Persister', async () => {
    const { storage, reopen } = await make();
    const persister = new Persister(storage, 'alice', { debounceMs: 0 });
    const snapshot = { ...initialSnapshot('alice'), syncCursor: 'cursor-1', drafts: { 'messaging:a': { cid: 'messaging:a', parent_id: null, text: 'hi', updated_at: '2026-01-01T00:00:00.000Z' } } };
    persister.schedule(snapshot);
    await persister.flush();
    const loaded = await new Persister(reopen(), 'alice').load();
    expect(loaded.syncCursor).toBe('cursor-1');
    expect(loaded.drafts).toEqual(snapshot.drafts);
    expect(await new Persister(reopen(), 'bob').load()).toMatchObject({ syncCursor: null, drafts: {}, outbox: [] });
  });
});
