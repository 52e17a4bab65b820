import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type pg from 'pg';
import { AppStore } from './auth/app-store.js';
import { Authenticator } from './auth/authenticate.js';
import { JwksVerifier } from './auth/jwks.js';
import { KeyStore } from './auth/key-store.js';
import type { Config } from './config.js';
import { loadMigrations, migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import type { RateLimiter } from './engines/rate-limiter.js';
import { MemoryRateLimiter } from './engines/rate-limiter-memory.js';
import { RedisRateLimiter } from './engines/rate-limiter-redis.js';
import { buildHttpApp } from './http/app.js';
import { schedulePruning } from './jobs/prune-events.js';
import { openEngines } from './engines/open-engines.js';
import { Gateway } from './gateway/gateway.js';
import { TtlCache } from './util/ttl-cache.js';
import type { Services } from './services.js';

export interface ParleyServer {
  app: FastifyInstance;
  services: Services;
  /** The WebSocket gateway on the app's HTTP server (`GET /connection/websocket`). */
  gateway: Gateway;
  /** Stops accepting, lets in-flight requests finish, closes engines and the pool. */
  close(): Promise<void>;
}

export interface CreateServerOptions {
  config: Config;
  databaseUrl: string;
  log?: Logger;
  /** Run migrations before serving (default true). */
  migrate?: boolean;
  pool?: pg.Pool;
}

/** Wires services and the HTTP app on an existing database. Does not listen. */
export async function createServer(options: CreateServerOptions): Promise<ParleyServer> {
  const { config } = options;
  const log = options.log ?? pino({ level: config.logLevel });
  const pool = options.pool ?? createPool(options.databaseUrl);
  const migrations = await loadMigrations();
  if (options.migrate !== false) await migrate(pool, migrations);
  const keys = new KeyStore(pool);
  const apps = new AppStore(pool);
  // Broker and presence first: an unreachable PARLEY_BROKER / PARLEY_REDIS_URL stops the start here.
  const { broker, presence } = await openEngines(config, log).catch(async (error: unknown) => {
    if (!options.pool) await pool.end();
    throw error;
  });
  const rateLimiter: RateLimiter = config.redisUrl ? new RedisRateLimiter(config.redisUrl) : new MemoryRateLimiter();
  const services: Services = {
    config,
    pool,
    log,
    migrations,
    keys,
    apps,
    authenticator: new Authenticator(pool, keys, apps, new JwksVerifier(), config.adminToken),
    rateLimiter,
    broker,
    presence,
    channelTypes: new TtlCache(2_000),
  };
  let app: FastifyInstance;
  try {
    app = await buildHttpApp(services);
  } catch (error) {
    await Promise.all([rateLimiter.close(), broker.close(), presence.close()]);
    throw error;
  }
  const gateway = new Gateway(services, { pingIntervalSeconds: config.wsPingIntervalSeconds });
  gateway.listen(app.server);
  const stopPruning = options.migrate === false ? () => {} : schedulePruning(pool, log);
  let closing: Promise<void> | null = null;
  return {
    app,
    services,
    gateway,
    close: () =>
      (closing ??= (async () => {
        stopPruning();
        // Sockets first, with a reconnect code: clients move to another node while this one drains.
        await gateway.close();
        await app.close();
        await rateLimiter.close();
        await services.broker.close();
        await services.presence.close();
        await pool.end();
      })()),
  };
}
