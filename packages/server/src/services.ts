import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Migration } from './db/migrate.js';
import type { AppStore } from './auth/app-store.js';
import type { Authenticator } from './auth/authenticate.js';
import type { KeyStore } from './auth/key-store.js';
import type { RateLimiter } from './engines/rate-limiter.js';
import type { Broker } from './engines/broker.js';
import type { Presence } from './engines/presence.js';
import type { ChannelTypeDefinition } from '@parley/protocol';
import type { TtlCache } from './util/ttl-cache.js';
import type { TypingTracker } from './realtime/typing.js';
import type { UserPresence } from './realtime/user-presence.js';

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
  broker: Broker;
  /** Who is connected to which channel (the gateway's subscribers). */
  presence: Presence;
  /** Effective channel types by `<app_id>/<type>`, read on every channel action. */
  channelTypes: TtlCache<ChannelTypeDefinition>;
  /** This node's typing state: throttled starts, expiries, hand-over between nodes. */
  typing: TypingTracker;
  /** Online/offline and status of users: `user.presence.changed`, `last_active_at`, viewing. */
  userPresence: UserPresence;
}
