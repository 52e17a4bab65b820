/**
 * Runs the `parley` command as a real child process, from the TypeScript sources (tsx, with the
 * test tsconfig's paths so that @parley/server resolves to src rather than a possibly stale dist).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'packages/cli/src/bin.ts');
const TSCONFIG = path.join(ROOT, 'tsconfig.test.json');

/** Variables the server reads; the child gets none of the test runner's values for them. */
const PARLEY_VARIABLES = /^(PORT|HOST|DATABASE_URL|LOG_LEVEL|NODE_ENV|PARLEY_.*)$/;

function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!PARLEY_VARIABLES.test(name)) base[name] = value;
  const merged: NodeJS.ProcessEnv = { ...base, TSX_TSCONFIG_PATH: TSCONFIG };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr so far, interleaved in arrival order. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in the output; rejects after `timeoutMs` or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  exited: Promise<Exit>;
  /** Resolves with the exit, or rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<Exit>;
  /** SIGKILLs the whole process group (the CLI and, if it started one, its PostgreSQL). Safe to call twice. */
  kill(): void;
}

/** Starts `parley <args>` in its own process group. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}, options: { cwd?: string } = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let all = '';
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk;
    all += chunk;
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk;
    all += chunk;
    for (const l of listeners) l();
  });
  let exit: Exit | null = null;
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      exit = { code, signal };
      for (const l of listeners) l();
      resolve(exit);
    });
  });
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = all.match(pattern);
        if (match) return done(() => resolve(match));
        if (exit) return done(() => reject(new Error(`parley ${args.join(' ')} exited (${JSON.stringify(exit)}) before printing ${pattern}; output:\n${all}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${all}`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });
  const waitForExit = (timeoutMs: number) =>
    new Promise<Exit>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`parley ${args.join(' ')} still running after ${timeoutMs} ms; output:\n${all}`)), timeoutMs);
      void exited.then((e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
  return {
    child,
    pid: child.pid!,
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    exited,
    waitForExit,
    kill: () => {
      // The embedded PostgreSQL runs in its own process group (so a terminal's Ctrl-C does not
      // stop it before requests drain): kill the CLI's children by parent pid first.
      try {
        execFileSync('pkill', ['-KILL', '-P', String(child.pid)], { stdio: 'ignore' });
      } catch {
        // no children
      }
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs `parley <args>` to completion (killed and rejected after `timeoutMs`). */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<CliResult> {
  const cli = spawnCli(args, env);
  try {
    const exit = await cli.waitForExit(timeoutMs);
    return { ...exit, stdout: cli.stdout(), stderr: cli.stderr() };
  } finally {
    cli.kill();
  }
}

/** A temporary directory the embedded PostgreSQL (OS user `postgres`) can reach. */
export async function tempDataDir(prefix = 'parley-cli-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, 0o755);
  return dir;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The postmaster pid recorded in an embedded data directory, if any. */
export async function postmasterPid(dataDir: string): Promise<number | null> {
  try {
    const pid = Number((await fs.readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Polls until `predicate` holds; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
