/**
 * Child processes of a bench run. Each child leads its own process group, so killing the group
 * also kills what it started (the embedded PostgreSQL postmaster; its backends exit with it).
 * Whatever is still running when the bench process exits — normally, on error or on a signal —
 * is killed with SIGKILL.
 */
import { fork, spawn } from 'node:child_process';
import os from 'node:os';

const running = new Set();

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping children`);
    process.exit(128 + os.constants.signals[signal]);
  });
}

/** Spawns a tracked child. stdout is discarded unless BENCH_VERBOSE=1 (then it goes to our stderr). */
export function spawnChild(command, args, { env = process.env, name = command } = {}) {
  const verbose = process.env.BENCH_VERBOSE === '1';
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', verbose ? 2 : 'ignore', 2] });
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => running.delete(child));

  /** SIGTERM (graceful shutdown), then SIGKILL for the whole group after `graceMs`. */
  const stop = async (graceMs = 20_000) => {
    if (!running.has(child)) return;
    child.kill('SIGTERM');
    const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    const outcome = await Promise.race([exited, timer]);
    if (!outcome) console.error(`bench: ${name} did not stop in ${graceMs} ms; killing it`);
    killGroup(child, 'SIGKILL');
    await exited;
  };
  return { child, name, exited, stop };
}

/**
 * Forks a tracked Node child with an IPC channel (`child.send` / `process.on('message')`), in its
 * own process group like spawnChild's, killed with the bench. stdout is discarded unless
 * BENCH_VERBOSE=1; stderr goes to ours.
 */
export function forkChild(script, args = [], { env = process.env, name = script, execArgv = [] } = {}) {
  const verbose = process.env.BENCH_VERBOSE === '1';
  const child = fork(script, args, { env, detached: true, execArgv, stdio: ['ignore', verbose ? 2 : 'ignore', 2, 'ipc'] });
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => running.delete(child));
  const stop = async (graceMs = 5_000) => {
    if (!running.has(child)) return;
    child.kill('SIGTERM');
    const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([exited, timer]);
    killGroup(child, 'SIGKILL');
    await exited;
  };
  return { child, name, exited, stop };
}
