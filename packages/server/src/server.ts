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
import { InsecureGateway, type InsecureGatewayOptions } from './gateway/insecure.js';
import { TtlCache } from './util/ttl-cache.js';
import { channelTypeOf } from './actions/access.js';
import { TypingTracker } from './realtime/typing.js';
import { UserPresence } from './realtime/user-presence.js';
import type { Services } from './services.js';

export interface ParleyServer {
  app: FastifyInstance;
  services: Services;
  /** The WebSocket gateway on the app's HTTP server (`GET /connection/websocket`). */
  gateway: Gateway;
  /**
   * The insecure compatibility gateway when `PARLEY_INSECURE_GATEWAY_PORT` is set (not listening
   * yet: `insecureGateway.listen(port, host)`), else null.
   */
  insecureGateway: InsecureGateway | null;
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
  /** Overrides for the insecure gateway (tests: per-namespace history sizes). */
  insecureGateway?: Partial<InsecureGatewayOptions>;
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
    authenticator: new Authenticator(pool, keys, apps, new JwksVerifier(config.jwksPolicy), config.adminToken),
    rateLimiter,
    broker,
    presence,
    channelTypes: new TtlCache(2_000),
    typing: new TypingTracker(broker, { timeoutMs: config.typingTimeoutMs, log }),
    userPresence: new UserPresence(
      { pool, presence, broker, log, channelType: (appId, type) => channelTypeOf(services, pool, appId, type) },
      { throttleMs: config.presenceThrottleMs, lastSeenIntervalMs: config.lastSeenIntervalMs, maxChannelMembers: config.presenceMaxChannelMembers },
    ),
  };
  let app: FastifyInstance;
  try {
    app = await buildHttpApp(services);
  } catch (error) {
    await Promise.all([services.typing.close(), services.userPresence.close()]);
    await Promise.all([rateLimiter.close(), broker.close(), presence.close()]);
    throw error;
  }
  const gateway = new Gateway(services, { pingIntervalSeconds: config.wsPingIntervalSeconds });
  gateway.listen(app.server);
  const insecureGateway =
    config.insecureGatewayPort === null
      ? null
      : new InsecureGateway(services, {
          pingIntervalSeconds: config.wsPingIntervalSeconds,
          historySize: config.insecureHistorySize,
          historyTtlSeconds: config.insecureHistoryTtlSeconds,
          ...options.insecureGateway,
        });
  const stopPruning = options.migrate === false ? () => {} : schedulePruning(pool, log);
  let closing: Promise<void> | null = null;
  return {
    app,
    services,
    gateway,
    insecureGateway,
    close: () =>
      (closing ??= (async () => {
        stopPruning();
        await insecureGateway?.close();
        // Sockets first, with a reconnect code: clients move to another node while this one drains.
        await gateway.close();
        await app.close();
        // Typing stops for this node's typers, then the presence writes in progress (before the pool goes).
        await services.typing.close();
        await services.userPresence.close();
        await rateLimiter.close();
        await services.broker.close();
        await services.presence.close();
        await pool.end();
      })()),
  };
}
