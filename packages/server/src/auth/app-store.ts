import type pg from 'pg';
import { findApp, type AppRow } from '../db/apps.js';
import { TtlCache } from '../util/ttl-cache.js';

/** Cached app rows (settings: limits, roles, auth providers), read on every request. */
export class AppStore {
  private readonly cache = new TtlCache<AppRow | null>(2_000);

  constructor(private readonly pool: pg.Pool) {}

  async get(appId: string): Promise<AppRow | null> {
    const cached = this.cache.get(appId);
    if (cached !== undefined) return cached;
    const row = (await findApp(this.pool, appId)) ?? null;
    this.cache.set(appId, row);
    return row;
  }

  forget(appId: string): void {
    this.cache.delete(appId);
  }
}
