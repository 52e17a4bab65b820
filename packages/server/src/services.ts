import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Migration } from './db/migrate.js';
import type { AppStore } from './auth/app-store.js';
import type { Authenticator } from './auth/authenticate.js';
import type { KeyStore } from './auth/key-store.js';
import type { RateLimiter } from './engines/rate-limiter.js';

/** What routes and actions share: built once at start by createServer. */
export interface Services {
  config: Config;
  pool: pg.Pool;
  log: Logger;
  migrations: Migration[];
  keys: KeyStore;
  apps: AppStore;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
}
