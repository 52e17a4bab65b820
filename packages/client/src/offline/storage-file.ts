/**
 * Node storage: one JSON file per key in a directory, written atomically (temp file + rename).
 * Exported from `@parley/client/node` only, so browser bundles never see `node:fs`.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Storage } from './storage.js';

/**
 * File adapter for bots and servers.
 *
 * @example
 * import { FileStorage } from '@parley/client/node';
 * const client = new ParleyClient({ url, tokenProvider, storage: new FileStorage('./.parley-bot'), WebSocket });
 */
export class FileStorage implements Storage {
  private ready: Promise<unknown> | undefined;
  private counter = 0;
  /** Writes to one key are serialised so a slow older write never lands after a newer one. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  async get<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.file(key), 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  set<T>(key: string, value: T): Promise<void> {
    return this.serialise(key, async () => {
      await this.mkdir();
      const target = this.file(key);
      const temp = `${target}.${process.pid}.${++this.counter}.tmp`;
      await writeFile(temp, JSON.stringify(value));
      await rename(temp, target);
    });
  }

  delete(key: string): Promise<void> {
    return this.serialise(key, () => rm(this.file(key), { force: true }));
  }

  async keys(prefix: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names.filter((name) => name.endsWith('.json')).map((name) => decodeURIComponent(name.slice(0, -5))).filter((key) => key.startsWith(prefix));
  }

  private file(key: string): string {
    return path.join(this.dir, `${encodeURIComponent(key)}.json`);
  }

  private mkdir(): Promise<unknown> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    return this.ready;
  }

  private serialise(key: string, write: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(key) ?? Promise.resolve()).then(write, write);
    this.chains.set(key, next.catch(() => undefined));
    return next;
  }
}
