/**
 * `parley start`: config → database (embedded by default) → migrations → HTTP → graceful shutdown.
 * See docs/architecture.md.
 */
import { existsSync } from 'node:fs';
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
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One server per data directory: a second one would share (and later stop) the same database. */
async function claimDataDir(config: Config): Promise<() => Promise<void>> {
  if (config.databaseUrl) return async () => {};
  await fs.mkdir(config.dataDir, { recursive: true });
  const file = path.join(config.dataDir, 'server.pid');
  if (existsSync(file)) {
    const pid = Number(await fs.readFile(file, 'utf8'));
    if (pid !== process.pid && Number.isInteger(pid) && alive(pid)) {
      throw new ConfigError('PARLEY_DATA_DIR', `another parley server (pid ${pid}) is using ${config.dataDir}; stop it or choose another directory`);
    }
  }
  await fs.writeFile(file, String(process.pid));
  return () => fs.rm(file, { force: true });
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
  const database = await openDatabase(config, { owner: true, log: (line) => log.debug({ component: 'postgres' }, line) });
  const admin = await resolveAdminToken(config);
  const server = await createServer({ config: { ...config, adminToken: admin.token }, databaseUrl: database.url, log });
  await server.app.listen({ port: config.port, host: config.host });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  print(`Parley is listening on ${url}`);
  print(`  database   ${database.embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL'}`);
  print(`  API docs   ${url}/docs   health ${url}/healthz`);
  print(`  websocket  ${url.replace('http', 'ws')}/connection/websocket`);
  if (admin.token) print(`  operator   PARLEY_ADMIN_TOKEN=${admin.generated || !config.adminToken ? admin.token : '(from environment)'}`);
  else print('  operator   routes disabled: set PARLEY_ADMIN_TOKEN to create apps');
  if (database.embedded) await createDemoApp(server, print);
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await server.close();
      await database.stop();
      await release();
    })());
  return { server, url, stop };
}

/** Entry point used by `parley start` and `npm start`: exits non-zero on bad config. */
export async function runFromCli(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let running: RunningParley;
  try {
    running = await startParley(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`parley: configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const shutdown = (signal: string) => {
    running.server.services.log.info({ signal }, 'shutting down');
    const timeout = loadConfig(env).shutdownTimeoutSeconds * 1000;
    const force = setTimeout(() => {
      running.server.services.log.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, timeout);
    force.unref();
    running.stop().then(
      () => process.exit(0),
      (error) => {
        running.server.services.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
