/**
 * Versioned SQL migrations in packages/server/migrations (`NNNN_name.sql`), applied in order,
 * each in its own transaction, under a PostgreSQL advisory lock so that two processes starting
 * at once apply each migration exactly once.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
const LOCK_KEY = 7_261_001; // arbitrary, constant: "parley migrations"

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await fs.readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const migrations = await Promise.all(
    files.map(async (file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      // A path, not a file:// URL built from `dir`: works with or without a trailing slash and with any characters.
      sql: await fs.readFile(path.join(dir, file), 'utf8'),
    })),
  );
  checkVersions(migrations);
  return migrations;
}

/** A migration as its file is named: `0002_add_channels`. */
function label(m: Pick<Migration, 'version' | 'name'>): string {
  return `${String(m.version).padStart(4, '0')}_${m.name}`;
}

/** Two migrations with one version (e.g. 0002 added on two branches) would leave one of them never applied. */
function checkVersions(migrations: Migration[]): void {
  const seen = new Map<number, string>();
  for (const m of migrations) {
    const other = seen.get(m.version);
    if (other !== undefined) throw new Error(`migrations ${label({ version: m.version, name: other })} and ${label(m)} share version ${m.version}`);
    seen.set(m.version, m.name);
  }
}

/** Applies pending migrations; returns the versions applied by this call. */
export async function migrate(pool: pg.Pool, migrations?: Migration[]): Promise<number[]> {
  const all = [...(migrations ?? (await loadMigrations()))].sort((a, b) => a.version - b.version);
  checkVersions(all);
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`create table if not exists parley_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`);
    const done = new Set((await client.query<{ version: number }>('select version from parley_migrations')).rows.map((r) => r.version));
    for (const migration of all) {
      if (done.has(migration.version)) continue;
      await client.query('begin');
      try {
        await client.query(migration.sql);
        await client.query('insert into parley_migrations (version, name) values ($1, $2)', [migration.version, migration.name]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw new Error(`migration ${label(migration)} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(migration.version);
    }
  } finally {
    await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    client.release();
  }
  return applied;
}

/** True when every known migration is applied (used by /readyz). */
export async function migrationsApplied(pool: pg.Pool, migrations: Migration[]): Promise<boolean> {
  const result = await pool.query<{ count: string }>(
    `select count(*) from parley_migrations where version = any($1::int[])`,
    [migrations.map((m) => m.version)],
  );
  return Number(result.rows[0]?.count) === migrations.length;
}
