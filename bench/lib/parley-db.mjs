/**
 * The built Parley server with embedded PostgreSQL, like startParley() in parley.mjs, but with
 * direct access to its database (for seeding with COPY, counting rows, baselines and EXPLAIN)
 * and optionally a persistent data directory that outlives the run (history's seeded database).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtBin, ensureBuilt, revision } from './build.mjs';
import { spawnChild } from './processes.mjs';
import { freePort, waitUntilReady } from './ready.mjs';

/** Connection string of the `parley` database of a running embedded PostgreSQL in `dataDir`. */
export function databaseUrl(dataDir) {
  const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
  const port = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${dataDir}/pg/postmaster.pid`);
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/parley`;
}

/**
 * Options: dataDir (kept after the run; default: a fresh temporary directory removed afterwards),
 * logLevel (default warn). Resolves to { url, pid, adminToken, dbUrl, dataDir, revision, stop }.
 * BENCH_DATABASE_URL is not supported here: these scenarios seed through the embedded superuser.
 */
export async function startParleyWithDb({ dataDir = null, logLevel = process.env.BENCH_LOG_LEVEL || 'warn' } = {}) {
  const bin = process.env.BENCH_PARLEY_BIN || builtBin;
  if (bin === builtBin) ensureBuilt();
  const keep = dataDir !== null;
  if (keep) mkdirSync(dataDir, { recursive: true });
  else dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  // Embedded PostgreSQL runs as OS user `postgres` when we are root: it must be able to enter the directory.
  chmodSync(dataDir, 0o755);
  if (!keep) process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));

  const port = await freePort();
  const adminToken = 'bench-admin-' + randomBytes(16).toString('hex');
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: logLevel, PARLEY_ADMIN_TOKEN: adminToken, PARLEY_DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  delete env.PARLEY_REDIS_URL;
  delete env.NODE_ENV;
  console.error(`bench: starting parley on port ${port} (embedded PostgreSQL in ${dataDir}${keep ? ', kept' : ''})`);
  // BENCH_SERVER_NODE_ARGS: node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (as in parley.mjs).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawnChild(process.execPath, [...nodeArgs, bin, 'start'], { env, name: 'parley' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${url}/readyz`, proc, 180_000);
  return {
    url,
    pid: proc.child.pid,
    adminToken,
    dbUrl: databaseUrl(dataDir),
    dataDir,
    revision: revision(bin),
    stop: async () => {
      await proc.stop(60_000);
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * pg_stat_statements for investigations (BENCH_PG_STATEMENTS=1): it must be preloaded, so the
 * server is started once, the setting made, and the server restarted on the same data directory.
 * Resolves like startParleyWithDb; `stop` also removes the setting from a kept directory.
 */
export async function startParleyWithStatements({ dataDir = null, logLevel } = {}) {
  const keep = dataDir !== null;
  const dir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  const first = await startParleyWithDb({ dataDir: dir, logLevel });
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: first.dbUrl });
  await client.connect();
  await client.query("alter system set shared_preload_libraries = 'pg_stat_statements'");
  await client.query("alter system set pg_stat_statements.track = 'all'");
  await client.query('alter system set pg_stat_statements.track_planning = on');
  await client.end();
  await first.stop();
  const parley = await startParleyWithDb({ dataDir: dir, logLevel });
  const setup = new pg.Client({ connectionString: parley.dbUrl });
  await setup.connect();
  await setup.query('create extension if not exists pg_stat_statements');
  await setup.end();
  return {
    ...parley,
    stop: async () => {
      // One statement a query: ALTER SYSTEM cannot run in the implicit transaction of a multi-statement query.
      const c = new pg.Client({ connectionString: parley.dbUrl });
      try {
        await c.connect();
        for (const setting of ['shared_preload_libraries', 'pg_stat_statements.track', 'pg_stat_statements.track_planning']) await c.query(`alter system reset ${setting}`);
      } catch (error) {
        console.error(`bench: could not reset pg_stat_statements settings in ${dir}: ${error.message}`);
      } finally {
        await c.end().catch(() => {});
      }
      await parley.stop();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resets pg_stat_statements (call before the measured phase). */
export async function resetStatements(db) {
  await db.query('select pg_stat_statements_reset()');
}

/**
 * The statements run since the reset, per `operations` (e.g. messages sent, requests made):
 * calls per operation, mean execution ms, share of the total execution time; biggest first.
 */
export async function statementsReport(db, operations, top = 25) {
  const result = await db.query(
    `select calls, total_exec_time, mean_exec_time, mean_plan_time, total_plan_time, rows, shared_blks_hit + shared_blks_read as blks, regexp_replace(query, '\\s+', ' ', 'g') as query
     from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
       and query not ilike '%pg_stat_statements%'
     order by total_exec_time desc limit $1`,
    [top],
  );
  const sums = await db.query(
    `select coalesce(sum(calls), 0) as calls, coalesce(sum(total_exec_time), 0) as time, coalesce(sum(total_plan_time), 0) as plan from pg_stat_statements
     where dbid = (select oid from pg_database where datname = current_database()) and query not ilike '%pg_stat_statements%'`,
  );
  const total = Number(sums.rows[0].time);
  const calls = Number(sums.rows[0].calls);
  return {
    statements_per_op: Number((calls / operations).toFixed(2)),
    exec_ms_per_op: Number((total / operations).toFixed(3)),
    plan_ms_per_op: Number((Number(sums.rows[0].plan) / operations).toFixed(3)),
    top: result.rows.map((r) => ({
      per_op: Number((Number(r.calls) / operations).toFixed(2)),
      mean_ms: Number(Number(r.mean_exec_time).toFixed(3)),
      mean_plan_ms: Number(Number(r.mean_plan_time).toFixed(3)),
      share: Number((Number(r.total_exec_time) / total).toFixed(3)),
      rows_per_call: Number((Number(r.rows) / Math.max(Number(r.calls), 1)).toFixed(1)),
      blks_per_call: Number((Number(r.blks) / Math.max(Number(r.calls), 1)).toFixed(1)),
      query: r.query.slice(0, 160),
    })),
  };
}

/**
 * This machine's cost of one trivial statement through `pg` (serial, one connection):
 * { select_rtt_us, select_pg_cpu_us }, a yardstick for the per-statement figures.
 */
export async function statementYardstick(dbUrl, pid, count = 2_000) {
  const pg = (await import('pg')).default;
  const { cpuPer, treeCpu } = await import('./requests.mjs');
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    for (let i = 0; i < 200; i++) await client.query('select $1::int', [i]);
    const before = await treeCpu(pid);
    const started = performance.now();
    for (let i = 0; i < count; i++) await client.query('select $1::int', [i]);
    const us = ((performance.now() - started) * 1000) / count;
    const cpu = cpuPer(before, await treeCpu(pid), count);
    return { select_rtt_us: Math.round(us), select_pg_cpu_us: cpu.pg_cpu_us };
  } finally {
    await client.end();
  }
}
