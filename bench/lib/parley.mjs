/**
 * Starts the built Parley server (`packages/cli/dist/bin.js start`, or BENCH_PARLEY_BIN to A/B
 * another build) as a child process on a free port of 127.0.0.1. Database: BENCH_DATABASE_URL
 * when set, otherwise embedded PostgreSQL in a fresh temporary directory removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtBin, ensureBuilt, revision } from './build.mjs';
import { spawnChild } from './processes.mjs';
import { freePort, waitUntilReady } from './ready.mjs';

const envNodeArgs = () => (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * Options: logLevel (default warn), nodeArgs for the server's node (default: BENCH_SERVER_NODE_ARGS,
 * space-separated, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 * Resolves to { url, pid, adminToken, revision, stop }.
 */
export async function startParley({ logLevel = 'warn', nodeArgs = envNodeArgs() } = {}) {
  const bin = process.env.BENCH_PARLEY_BIN || builtBin;
  if (bin === builtBin) ensureBuilt();
  const port = await freePort();
  const adminToken = 'bench-admin-' + randomBytes(16).toString('hex');
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: logLevel, PARLEY_ADMIN_TOKEN: adminToken };
  delete env.DATABASE_URL;
  delete env.PARLEY_REDIS_URL;
  delete env.NODE_ENV;
  let dataDir = null;
  if (process.env.BENCH_DATABASE_URL) {
    env.DATABASE_URL = process.env.BENCH_DATABASE_URL;
  } else {
    // Embedded PostgreSQL runs as OS user `postgres` when we are root: it must be able to enter the directory.
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
    chmodSync(dataDir, 0o755);
    env.PARLEY_DATA_DIR = dataDir;
    process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  }
  console.error(`bench: starting parley on port ${port} (${dataDir ? `embedded PostgreSQL in ${dataDir}` : 'BENCH_DATABASE_URL'})`);
  const proc = spawnChild(process.execPath, [...nodeArgs, bin, 'start'], { env, name: 'parley' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${url}/readyz`, proc, 180_000);
  return {
    url,
    pid: proc.child.pid,
    adminToken,
    revision: revision(bin),
    stop: async () => {
      await proc.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
