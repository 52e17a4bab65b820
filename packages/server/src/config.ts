import path from 'node:path';
import type { JwksFetchPolicy } from './auth/jwks-fetch.js';

/** Server configuration, read from the environment once at start. See README "Configuration". */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  adminToken: string | null;
  redisUrl: string | null;
  broker: string;
  logLevel: string;
  production: boolean;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** Seconds given to in-flight requests on SIGTERM/SIGINT before the process exits anyway. */
  shutdownTimeoutSeconds: number;
  /** Seconds between the WebSocket gateway's pings; a client that does not answer one is disconnected. */
  wsPingIntervalSeconds: number;
  /** A typing start without a stop ends (the server publishes `typing.stop`) after this long. */
  typingTimeoutMs: number;
  /** At most one `user.presence.changed` per user per this period (per node; the last state wins). */
  presenceThrottleMs: number;
  /** Channels with more members than this do not spread their members' `user.presence.changed`. */
  presenceMaxChannelMembers: number;
  /** How often a connected user's `last_active_at` is written while they stay connected. */
  lastSeenIntervalMs: number;
  /**
   * Port of the insecure compatibility gateway (anonymous clients, client publish on any channel,
   * in-memory channels; see docs/subsystems/realtime.md "Insecure compatibility gateway"), or null
   * when it is off (default). 0 picks a free port. Refused when NODE_ENV=production.
   */
  insecureGatewayPort: number | null;
  /** Publications kept per channel of the insecure gateway (0: no history, no recovery). */
  insecureHistorySize: number;
  /** Seconds a publication of the insecure gateway stays in its channel's history. */
  insecureHistoryTtlSeconds: number;
  /** Where apps' JWKS URLs may point (SSRF guard: auth/jwks-fetch.ts). */
  jwksPolicy: JwksFetchPolicy;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function hostList(env: NodeJS.ProcessEnv, name: string): string[] | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return null;
  const hosts = raw.split(',').map((h) => h.trim()).filter(Boolean);
  const bad = hosts.find((h) => !/^(\*\.)?[a-z0-9.-]+$/i.test(h));
  if (bad) throw new ConfigError(name, `must be a comma-separated list of host names (or *.suffix), got "${bad}"`);
  return hosts;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function url(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    // The value may hold a password: shown without what precedes an "@".
    throw new ConfigError(name, `must be a URL (${protocols.join(' or ')}), got "${raw.replace(/^(\w+:\/\/)?.*@/, '$1***@')}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

/** Reads and validates the configuration; throws ConfigError naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const host = env.HOST || (production ? '0.0.0.0' : '127.0.0.1');
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const adminToken = env.PARLEY_ADMIN_TOKEN || null;
  if (adminToken !== null && adminToken.length < 16) throw new ConfigError('PARLEY_ADMIN_TOKEN', 'must be at least 16 characters');
  const broker = env.PARLEY_BROKER || 'memory';
  if (broker !== 'memory') url(env, 'PARLEY_BROKER', ['redis:', 'rediss:', 'nats:']);
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const insecurePort = env.PARLEY_INSECURE_GATEWAY_PORT;
  const insecureGatewayPort = insecurePort === undefined || insecurePort === '' ? null : integer(env, 'PARLEY_INSECURE_GATEWAY_PORT', 0, 0, 65535);
  if (insecureGatewayPort !== null && production) {
    throw new ConfigError('PARLEY_INSECURE_GATEWAY_PORT', 'the insecure gateway (anonymous clients publishing on any channel) is for development and compatibility tests; it is refused when NODE_ENV=production');
  }
  if (production && !databaseUrl) {
    // Allowed, but worth knowing: production on the embedded database is a single-node setup.
  }
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host,
    databaseUrl,
    dataDir: path.resolve(env.PARLEY_DATA_DIR || './.parley'),
    adminToken,
    redisUrl: url(env, 'PARLEY_REDIS_URL', ['redis:', 'rediss:']),
    broker,
    logLevel,
    production,
    bodyLimit: integer(env, 'PARLEY_BODY_LIMIT', 1024 * 1024, 1024, 100 * 1024 * 1024),
    shutdownTimeoutSeconds: integer(env, 'PARLEY_SHUTDOWN_TIMEOUT', 10, 1, 300),
    wsPingIntervalSeconds: integer(env, 'PARLEY_WS_PING_INTERVAL', 25, 1, 300),
    typingTimeoutMs: integer(env, 'PARLEY_TYPING_TIMEOUT_MS', 7_000, 50, 600_000),
    presenceThrottleMs: integer(env, 'PARLEY_PRESENCE_THROTTLE_MS', 5_000, 0, 600_000),
    presenceMaxChannelMembers: integer(env, 'PARLEY_PRESENCE_MAX_CHANNEL_MEMBERS', 100, 0, 1_000_000),
    lastSeenIntervalMs: integer(env, 'PARLEY_LAST_SEEN_INTERVAL_MS', 60_000, 100, 86_400_000),
    insecureGatewayPort,
    insecureHistorySize: integer(env, 'PARLEY_INSECURE_HISTORY_SIZE', 100, 0, 10_000),
    insecureHistoryTtlSeconds: integer(env, 'PARLEY_INSECURE_HISTORY_TTL', 300, 1, 86_400),
    jwksPolicy: { allowPrivate: boolean(env, 'PARLEY_JWKS_ALLOW_PRIVATE', !production), allowedHosts: hostList(env, 'PARLEY_JWKS_ALLOWED_HOSTS') },
  };
}
