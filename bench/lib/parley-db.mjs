/**
 * The built Parley server with embedded PostgreSQL, like startParley() in parley.mjs, but with
 * direct access to its database (for seeding with COPY, counting rows, baselines and EXPLAIN)
 * and optionally a persistent data directory that outlives the run (history's seeded database).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  const proc = spawnChild(process.execPath, [bin, 'start'], { env, name: 'parley' });
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
