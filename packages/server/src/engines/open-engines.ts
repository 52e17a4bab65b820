/**
 * Chooses and connects the scale-out engines from the configuration: `PARLEY_BROKER` picks the
 * broker (memory, Redis or NATS), `PARLEY_REDIS_URL` puts presence in Redis. An engine that cannot
 * connect at start is a configuration error naming its variable; after start, the client
 * libraries reconnect on their own. See docs/subsystems/realtime.md "Scale-out engines".
 */
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config.js';
import type { Broker } from './broker.js';
import { MemoryBroker } from './broker-memory.js';
import { NatsBroker } from './broker-nats.js';
import { RedisBroker } from './broker-redis.js';
import type { Presence } from './presence.js';
import { MemoryPresence } from './presence-memory.js';
import { RedisPresence } from './presence-redis.js';

export interface Engines {
  broker: Broker;
  presence: Presence;
}

/** The URL without credentials, for messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

export async function openBroker(config: Pick<Config, 'broker'>, log: Logger): Promise<Broker> {
  const url = config.broker;
  if (url === 'memory') return new MemoryBroker({ log });
  try {
    return url.startsWith('nats:') ? await NatsBroker.connect(url, { log }) : await RedisBroker.connect(url, { log });
  } catch (error) {
    throw new ConfigError('PARLEY_BROKER', `cannot connect to ${safeUrl(url)}: ${(error as Error).message}`);
  }
}

export async function openPresence(config: Pick<Config, 'redisUrl'>, log: Logger): Promise<Presence> {
  if (!config.redisUrl) return new MemoryPresence();
  try {
    return await RedisPresence.connect(config.redisUrl, { log });
  } catch (error) {
    throw new ConfigError('PARLEY_REDIS_URL', `cannot connect to ${safeUrl(config.redisUrl)}: ${(error as Error).message}`);
  }
}

/** Both, or neither: what was opened is closed again when the other fails. */
export async function openEngines(config: Pick<Config, 'broker' | 'redisUrl'>, log: Logger): Promise<Engines> {
  const broker = await openBroker(config, log.child({ component: 'broker' }));
  try {
    const presence = await openPresence(config, log.child({ component: 'presence' }));
    return { broker, presence };
  } catch (error) {
    await broker.close();
    throw error;
  }
}
