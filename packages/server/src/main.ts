/**
 * `parley start`: config → database (embedded by default) → migrations → HTTP → graceful shutdown.
 * See docs/architecture.md.
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { doCreateApp } from './actions/apps.js';
import { doUpsertUsers } from './actions/users.js';
import { mintToken } from './auth/sign.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, resolveAdminToken } from './database.js';
import { createServer, type ParleyServer } from './server.js';

export interface RunningParley {
  server: ParleyServer;
  url: string;
  stop(): Promise<void>;
  /** Synchronous: tells an embedded PostgreSQL to shut down, for exits that cannot wait. */
  abandon(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When a process started (Linux: clock ticks since boot, /proc/<pid>/stat field 22), so that a
 * pid reused by an unrelated process (containers restart with the same small pids) is not taken
 * for a running server. null where /proc is not available.
 */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

interface Claim {
  pid: number;
  started: string | null;
}

function parseClaim(text: string): Claim | null {
  // Current format: "<pid> <start time>"; older files hold the pid alone.
  const [pid, started] = text.trim().split(/\s+/);
  const value = Number(pid);
  return Number.isInteger(value) && value > 0 ? { pid: value, started: started ?? null } : null;
}

function claimedByLiveProcess(claim: Claim): boolean {
  if (claim.pid === process.pid || !alive(claim.pid)) return false;
  if (claim.started === null) return true;
  const now = startTime(claim.pid);
  return now === null || now === claim.started;
}

/** One server per data directory: a second one would share (and later stop) the same database. */
async function claimDataDir(config: Config): Promise<() => Promise<void>> {
  if (config.databaseUrl) return async () => {};
  await fs.mkdir(config.dataDir, { recursive: true });
  const file = path.join(config.dataDir, 'server.pid');
  const mine = `${process.pid} ${startTime(process.pid) ?? ''}`.trim() + '\n';
  // Exclusive create, so that two servers starting at the same moment cannot both claim it.
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(file, mine, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const claim = parseClaim(await fs.readFile(file, 'utf8').catch(() => ''));
    if (claim && claimedByLiveProcess(claim)) {
      throw new ConfigError('PARLEY_DATA_DIR', `another parley server (pid ${claim.pid}) is using ${config.dataDir}; stop it or choose another directory`);
    }
    await fs.rm(file, { force: true }); // left by a server that did not stop cleanly
  }
  return async () => {
    // Only remove our own claim.
    const claim = parseClaim(await fs.readFile(file, 'utf8').catch(() => ''));
    if (claim?.pid === process.pid) await fs.rm(file, { force: true });
  };
}

/** A listen failure as a configuration error naming the variable to change. */
function listenError(error: unknown, config: Config): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new ConfigError('PORT', `port ${config.port} on ${config.host} is already in use`);
  if (code === 'EACCES') return new ConfigError('PORT', `not allowed to listen on port ${config.port} (ports below 1024 need privileges)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ConfigError('HOST', `cannot listen on ${config.host}: no such local address`);
  return error;
}

async function createDemoApp(server: ParleyServer, print: (line: string) => void): Promise<void> {
  const { pool } = server.services;
  const count = await pool.query<{ count: string }>('select count(*) from apps');
  if (Number(count.rows[0]!.count) > 0) return;
  const demo = await doCreateApp(pool, 'demo');
  await doUpsertUsers(server.services, demo.app.id, [
    { id: 'alice', name: 'Alice', role: 'user' },
    { id: 'bob', name: 'Bob', role: 'user' },
  ]);
  const day = 24 * 3600;
  const alice = await mintToken({ keyId: demo.key_id, secret: demo.secret, userId: 'alice', expiresIn: 30 * day });
  const bob = await mintToken({ keyId: demo.key_id, secret: demo.secret, userId: 'bob', expiresIn: 30 * day });
  print('');
  print('Created a demo app (first start):');
  print(`  app id      ${demo.app.id}`);
  print(`  key id      ${demo.key_id}`);
  print(`  secret      ${demo.secret}`);
  print(`  alice token ${alice.token}`);
  print(`  bob token   ${bob.token}`);
  print('  (user tokens expire in 30 days; mint more with: npx parley token --key <key id> --user <id>)');
}

/** Starts a server from the environment; prints how to connect. */
export async function startParley(env: NodeJS.ProcessEnv = process.env, print: (line: string) => void = console.log): Promise<RunningParley> {
  const config = loadConfig(env);
  const log = pino({ level: config.logLevel });
  const release = await claimDataDir(config);
  // Whatever was started before a failure is stopped again: no PostgreSQL or claim is left behind.
  let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
  let server: ParleyServer | undefined;
  let url: string;
  try {
    database = await openDatabase(config, { owner: true, log: (line) => log.debug({ component: 'postgres' }, line) });
    const admin = await resolveAdminToken(config);
    server = await createServer({ config: { ...config, adminToken: admin.token }, databaseUrl: database.url, log });
    try {
      await server.app.listen({ port: config.port, host: config.host });
    } catch (error) {
      throw listenError(error, config);
    }
    const address = server.app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    let insecurePort: number | null = null;
    if (server.insecureGateway) {
      try {
        insecurePort = await server.insecureGateway.listen(config.insecureGatewayPort!, config.host);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw code === 'EADDRINUSE' ? new ConfigError('PARLEY_INSECURE_GATEWAY_PORT', `port ${config.insecureGatewayPort} on ${config.host} is already in use`) : error;
      }
    }
    print(`Parley is listening on ${url}`);
    print(`  database   ${database.embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL'}`);
    print(`  API docs   ${url}/docs   health ${url}/healthz`);
    print(`  websocket  ${url.replace('http', 'ws')}/connection/websocket`);
    if (insecurePort !== null) print(`  INSECURE   ws://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${insecurePort}/connection/websocket (anonymous, publish on any channel; development only)`);
    if (admin.token) print(`  operator   PARLEY_ADMIN_TOKEN=${admin.generated || !config.adminToken ? admin.token : '(from environment)'}`);
    else print('  operator   routes disabled: set PARLEY_ADMIN_TOKEN to create apps');
    if (database.embedded) await createDemoApp(server, print);
  } catch (error) {
    await server?.close().catch(() => {});
    await database?.stop().catch(() => {});
    await release().catch(() => {});
    throw error;
  }
  const running = server;
  const db = database;
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      // Node closes idle keep-alive connections only once, when closing starts; a connection whose
      // request was in flight would otherwise hold the close until its keep-alive timeout.
      const http = running.app.server;
      const drain = setInterval(() => http.closeIdleConnections(), 100);
      try {
        await running.close();
      } finally {
        clearInterval(drain);
      }
      await db.stop();
      await release();
    })());
  return { server: running, url, stop, abandon: () => db.abandon() };
}

/** Entry point used by `parley start` and `npm start`: exits non-zero on bad config. */
export async function runFromCli(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // Signals are handled from the first moment: one arriving during start-up (say, while the demo
  // app is being created) waits for start-up to finish, then shuts down cleanly.
  let running: RunningParley | null = null;
  let requested: string | null = null;
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (!running) {
      requested ??= signal;
      return;
    }
    const server = running;
    if (shuttingDown) {
      // A second signal: stop waiting, but still tell the embedded PostgreSQL (its own process
      // group, so the signal did not reach it) to shut down.
      server.server.services.log.warn({ signal }, 'second signal; exiting without waiting');
      server.abandon();
      process.exit(1);
    }
    shuttingDown = true;
    server.server.services.log.info({ signal }, 'shutting down');
    const timeout = loadConfig(env).shutdownTimeoutSeconds * 1000;
    const force = setTimeout(() => {
      server.server.services.log.error('graceful shutdown timed out; exiting');
      server.abandon();
      process.exit(1);
    }, timeout);
    force.unref();
    server.stop().then(
      () => process.exit(0),
      (error) => {
        server.server.services.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    running = await startParley(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`parley: configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (requested) shutdown(requested);
}
