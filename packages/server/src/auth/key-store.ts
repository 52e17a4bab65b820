import type pg from 'pg';
import { findKey } from '../db/apps.js';
import { appIdOfKey } from '../util/ids.js';
import { TtlCache } from '../util/ttl-cache.js';

export interface KeyEntry {
  appId: string;
  keyId: string;
  secret: Uint8Array;
}

/**
 * Resolves a token's `kid` to its app and secret. Cached for a short time because it runs on
 * every request; deleting a key on this node drops it from the cache at once.
 */
export class KeyStore {
  private readonly cache = new TtlCache<KeyEntry | null>(2_000);
  /** Bumped by every `forget`, so a lookup that was in flight during a deletion does not re-cache the key. */
  private generation = 0;

  constructor(private readonly pool: pg.Pool) {}

  async get(keyId: string): Promise<KeyEntry | null> {
    const appId = appIdOfKey(keyId);
    if (!appId || keyId.length > 128) return null;
    const cached = this.cache.get(keyId);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const row = await findKey(this.pool, appId, keyId);
    const entry = row ? { appId: row.app_id, keyId: row.key_id, secret: new TextEncoder().encode(row.secret) } : null;
    // Unknown kids are cached too, so a flood of forged tokens does not become a flood of queries.
    if (generation === this.generation) this.cache.set(keyId, entry);
    return entry;
  }

  forget(keyId: string): void {
    this.generation++;
    this.cache.delete(keyId);
  }
}
