import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createPool, loadMigrations, migrate } from '@parley/server';
import type { Migration } from '../src/db/migrate.js';
import { createTestDatabase } from '../../../test/support/database.js';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

/** A fresh database and a pool on it, both dropped after the test. */
async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  return db;
}

function pool(url: string, max = 2): pg.Pool {
  const p = createPool(url, max);
  cleanups.push(() => p.end());
  return p;
}

/** Rejects when `promise` takes longer than `ms` (a hung advisory lock must fail the test, not time it out silently). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    }),
  ]);
}

async function recorded(p: pg.Pool): Promise<Array<{ version: number; name: string }>> {
  return (await p.query<{ version: number; name: string }>('select version, name from parley_migrations order by version')).rows;
}

describe('migrations', () => {
  let shipped: Migration[];
  beforeAll(async () => {
    shipped = await loadMigrations();
  });

  it('ships numbered migrations with unique, ascending versions', () => {
    expect(shipped.length).toBeGreaterThan(0);
    const versions = shipped.map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    for (const m of shipped) {
      expect(Number.isInteger(m.version) && m.version > 0).toBe(true);
      expect(m.name).toMatch(/^[\w-]+$/);
      expect(m.sql.trim().length).toBeGreaterThan(0);
    }
  });

  it('loads a migrations directory given with or without a trailing slash', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-migrations-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    await fs.writeFile(path.join(dir, '0002_second.sql'), 'select 2;');
    await fs.writeFile(path.join(dir, '0001_first.sql'), 'select 1;');
    await fs.writeFile(path.join(dir, 'README.md'), 'not a migration');
    await fs.writeFile(path.join(dir, '1_bad_name.sql'), 'select 0;');
    const expected = [
      { version: 1, name: 'first', sql: 'select 1;' },
      { version: 2, name: 'second', sql: 'select 2;' },
    ];
    expect(await loadMigrations(dir)).toEqual(expected);
    expect(await loadMigrations(dir + path.sep)).toEqual(expected);
  });

  it('refuses two migrations with the same version', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-migrations-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    await fs.writeFile(path.join(dir, '0001_first.sql'), 'select 1;');
    await fs.writeFile(path.join(dir, '0002_from_branch_a.sql'), 'select 2;');
    await fs.writeFile(path.join(dir, '0002_from_branch_b.sql'), 'select 2;');
    await expect(loadMigrations(dir)).rejects.toThrow(/0002_from_branch_a and 0002_from_branch_b share version 2/);
    const db = await freshDatabase();
    const p = pool(db.url);
    const clash: Migration[] = [
      { version: 1, name: 'a', sql: 'select 1' },
      { version: 1, name: 'b', sql: 'select 1' },
    ];
    await expect(migrate(p, clash)).rejects.toThrow(/share version 1/);
  });

  it('applies every migration once; a second run applies nothing', async () => {
    const db = await freshDatabase();
    const p = pool(db.url);
    const first = await migrate(p);
    expect(first).toEqual(shipped.map((m) => m.version));
    expect(await recorded(p)).toEqual(shipped.map((m) => ({ version: m.version, name: m.name })));
    expect(await migrate(p)).toEqual([]);
    expect(await migrate(p, shipped)).toEqual([]);
    expect(await recorded(p)).toHaveLength(shipped.length);
  });

  it('lets two processes migrate a fresh database at once; each migration is recorded exactly once', async () => {
    const db = await freshDatabase();
    // Several rounds: the race is between separate pools (separate sessions), as with two servers starting together.
    const pools = [pool(db.url), pool(db.url), pool(db.url)];
    const results = await within(Promise.all(pools.map((p) => migrate(p))), 20_000, 'concurrent migrate');
    const applied = results.flat().sort((a, b) => a - b);
    expect(applied).toEqual(shipped.map((m) => m.version));
    // Exactly one caller applied everything (the lock is held for the whole run).
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    const rows = await pools[0]!.query<{ version: number; count: string }>('select version, count(*) from parley_migrations group by version order by version');
    expect(rows.rows.map((r) => [r.version, Number(r.count)])).toEqual(shipped.map((m) => [m.version, 1]));
  });

  it('serialises migrators that certainly overlap (a slow migration holds the lock)', async () => {
    const db = await freshDatabase();
    const slow: Migration[] = [
      { version: 1, name: 'slow', sql: 'select pg_sleep(0.4); create table t_slow (app_id text not null primary key);' },
      { version: 2, name: 'next', sql: 'create table t_next (app_id text not null primary key);' },
    ];
    const [a, b] = [pool(db.url), pool(db.url)];
    const first = migrate(a, slow);
    await new Promise((r) => setTimeout(r, 100)); // a is inside migration 1 now
    const started = Date.now();
    const second = await within(migrate(b, slow), 10_000, 'second migrate');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150); // it waited for the lock
    expect(second).toEqual([]);
    expect(await first).toEqual([1, 2]);
    expect(await recorded(a)).toEqual([
      { version: 1, name: 'slow' },
      { version: 2, name: 'next' },
    ]);
  });

  it('rolls a failing migration back, names it, keeps earlier ones, and releases the lock', async () => {
    const db = await freshDatabase();
    const p = pool(db.url);
    const custom: Migration[] = [
      { version: 1, name: 'good', sql: 'create table t_good (app_id text not null, primary key (app_id));' },
      { version: 2, name: 'broken', sql: "create table t_half (app_id text not null);\ninsert into t_half values ('a');\nselect 1 / 0;" },
      { version: 3, name: 'later', sql: 'create table t_later (app_id text not null);' },
    ];
    const error = await within(migrate(p, custom), 10_000, 'failing migrate').then(
      () => null,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/migration 0002_broken failed: .*division by zero/);

    const tables = async () =>
      (await p.query<{ relname: string }>("select relname from pg_class where relkind = 'r' and relname like 't\\_%' order by relname")).rows.map((r) => r.relname);
    expect(await tables()).toEqual(['t_good']); // t_half rolled back, t_later never attempted
    expect(await recorded(p)).toEqual([{ version: 1, name: 'good' }]);

    // The advisory lock was released: another session can migrate at once, and a fixed migration applies.
    const other = pool(db.url);
    const fixed = custom.map((m) => (m.version === 2 ? { ...m, sql: 'create table t_half (app_id text not null);' } : m));
    expect(await within(migrate(other, fixed), 10_000, 'migrate after a failure')).toEqual([2, 3]);
    expect(await tables()).toEqual(['t_good', 't_half', 't_later']);
    expect((await recorded(p)).map((r) => r.version)).toEqual([1, 2, 3]);
  });

  it('keeps the tenancy rule: every table has app_id, and every index and primary key starts with it', async () => {
    const db = await freshDatabase();
    const p = pool(db.url);
    await migrate(p);

    const tables = (
      await p.query<{ table: string; app_id_attnum: number | null; app_id_not_null: boolean | null }>(`
        select c.relname as table, a.attnum as app_id_attnum, a.attnotnull as app_id_not_null
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        left join pg_attribute a on a.attrelid = c.oid and a.attname = 'app_id' and not a.attisdropped
        where n.nspname = current_schema() and c.relkind in ('r', 'p') and c.relname <> 'parley_migrations'
        order by c.relname`)
    ).rows;
    expect(tables.length).toBeGreaterThanOrEqual(4);
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining(['apps', 'app_keys', 'users', 'channel_types']));
    const withoutAppId = tables.filter((t) => t.app_id_attnum === null).map((t) => t.table);
    expect(withoutAppId, 'tables without an app_id column').toEqual([]);
    const nullableAppId = tables.filter((t) => t.app_id_not_null === false).map((t) => t.table);
    expect(nullableAppId, 'tables whose app_id may be null').toEqual([]);

    const indexes = (
      await p.query<{ table: string; index: string; primary: boolean; first_column: string | null; definition: string }>(`
        select t.relname as table, i.relname as index, x.indisprimary as primary,
               (select a.attname from pg_attribute a where a.attrelid = t.oid and a.attnum = x.indkey[0]) as first_column,
               pg_get_indexdef(x.indexrelid) as definition
        from pg_index x
        join pg_class t on t.oid = x.indrelid
        join pg_class i on i.oid = x.indexrelid
        join pg_namespace n on n.oid = t.relnamespace
        where n.nspname = current_schema() and t.relname <> 'parley_migrations'
        order by t.relname, i.relname`)
    ).rows;
    // Every table has a primary key, so there is at least one index per table.
    for (const t of tables) {
      expect(indexes.some((i) => i.table === t.table && i.primary), `${t.table} has a primary key`).toBe(true);
    }
    const offenders = indexes.filter((i) => i.first_column !== 'app_id').map((i) => i.definition);
    expect(offenders, 'indexes not starting with app_id').toEqual([]);

    // Unique and exclusion constraints are backed by indexes (covered above); foreign keys must carry app_id too.
    const foreignKeys = (
      await p.query<{ table: string; name: string; first_column: string }>(`
        select t.relname as table, con.conname as name,
               (select a.attname from pg_attribute a where a.attrelid = con.conrelid and a.attnum = con.conkey[1]) as first_column
        from pg_constraint con
        join pg_class t on t.oid = con.conrelid
        join pg_namespace n on n.oid = t.relnamespace
        where n.nspname = current_schema() and con.contype = 'f'`)
    ).rows;
    expect(foreignKeys.filter((f) => f.first_column !== 'app_id').map((f) => `${f.table}.${f.name}`), 'foreign keys not starting with app_id').toEqual([]);
  });
});

afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});
