import type pg from 'pg';
import { findApp, type AppRow } from '../db/apps.js';
import { TtlCache } from '../util/ttl-cache.js';

/** Cached app rows (settings: limits, roles, auth providers), read on every request. */
export class AppStore {
  private readonly cache = new TtlCache<AppRow | null>(2_000);
  /** Bumped by every `forget`, so a read that was in flight during a settings change does not re-cache the old row. */
  private generation = 0;

  constructor(private readonly pool: pg.Pool) {}

  async get(appId: string): Promise<AppRow | null> {
    const cached = this.cache.get(appId);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const row = (await findApp(this.pool, appId)) ?? null;
    if (generation === this.generation) this.cache.set(appId, row);
    return row;
  }

  forget(appId: string): void {
    this.generation++;
    this.cache.delete(appId);
  }
}
