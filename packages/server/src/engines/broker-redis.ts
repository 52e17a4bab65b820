import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  encodeEnvelope,
  envelopePrefix,
  LocalSubscribers,
  ReconnectListeners,
  unsubscribeWith,
  type Broker,
  type BrokerHandler,
  type BrokerMessage,
  type BrokerOptions,
  type Unsubscribe,
} from './broker.js';
import { waitForRedis } from './redis-connect.js';

export interface RedisBrokerOptions extends BrokerOptions {
  /** Prepended to every topic to form the Redis channel name (default `parley:`). */
  prefix?: string;
  /** How long `connect` waits for Redis before failing (default 5 s). */
  connectTimeoutMs?: number;
  /** Connection name shown by CLIENT LIST, `-pub` / `-sub` appended (default `parley-broker-<random>`). */
  name?: string;
}

/**
 * Redis pub/sub: one publishing and one subscribing connection per node. A node SUBSCRIBEs to a
 * topic's channel (`<prefix><topic>`) while it has at least one local handler for it, so it only
 * receives the topics its clients watch (no pattern subscription: that would send every message
 * to every node). A publication is delivered to local handlers at once, then PUBLISHed; a node
 * skips its own publications coming back from Redis. Ordering: one connection per direction, and
 * Redis delivers a connection's publications to each subscriber in order.
 *
 * Outages: publishing fails fast while Redis is unreachable (no offline queue: a request must not
 * hang after its commit), the loss is logged; the subscriber reconnects with backoff,
 * resubscribes every topic, then calls the `onReconnect` listeners.
 */
export class RedisBroker implements Broker {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly nodeId = randomUUID();
  private readonly ownPrefix: string;
  private readonly local: LocalSubscribers;
  private readonly reconnects: ReconnectListeners;
  private readonly log: Logger | undefined;
  /** Topics with an UNSUBSCRIBE in flight: what still arrives for them predates a new subscriber. */
  private readonly unsubscribing = new Map<string, number>();
  private connected = false;
  private interrupted = false;
  private closed = false;

  /** Connects both connections; rejects (and releases them) when Redis does not answer in time. */
  static async connect(url: string, options: RedisBrokerOptions = {}): Promise<RedisBroker> {
    const broker = new RedisBroker(url, options);
    try {
      await Promise.all([waitForRedis(broker.pub, options.connectTimeoutMs ?? 5_000), waitForRedis(broker.sub, options.connectTimeoutMs ?? 5_000)]);
    } catch (error) {
      await broker.close();
      throw error;
    }
    return broker;
  }

  private constructor(url: string, options: RedisBrokerOptions) {
    this.prefix = options.prefix ?? 'parley:';
    this.log = options.log;
    this.ownPrefix = envelopePrefix(this.nodeId);
    this.local = new LocalSubscribers(options.log);
    this.reconnects = new ReconnectListeners(options.log);
    const name = options.name ?? `parley-broker-${this.nodeId.slice(0, 8)}`;
    this.pub = new Redis(url, {
      lazyConnect: true,
      connectionName: `${name}-pub`,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 2_000,
    });
    this.sub = new Redis(url, {
      lazyConnect: true,
      connectionName: `${name}-sub`,
      // Resubscribed by this class, so that `onReconnect` runs once subscriptions are active.
      autoResubscribe: false,
      maxRetriesPerRequest: null,
    });
    // An unhandled 'error' event would crash the process; failures surface as close/ready below.
    this.pub.on('error', () => {});
    this.sub.on('error', () => {});
    this.sub.on('message', (channel: string, payload: string) => this.received(channel, payload));
    this.sub.on('close', () => {
      if (!this.connected || this.closed) return;
      this.connected = false;
      this.interrupted = true;
      this.log?.warn({ engine: 'broker-redis' }, 'broker connection to Redis lost; reconnecting (publications from other nodes are missed meanwhile)');
    });
    this.sub.on('ready', () => {
      this.connected = true;
      if (this.interrupted) void this.resubscribe();
    });
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    if (this.closed) return;
    const payload = encodeEnvelope(this.nodeId, message);
    this.local.deliver(topic, message);
    try {
      await this.pub.publish(this.prefix + topic, payload);
    } catch (error) {
      this.log?.warn({ err: error, topic, engine: 'broker-redis' }, 'broker publish failed; other nodes miss this event');
    }
  }

  subscribe(topic: string, handler: BrokerHandler): Unsubscribe {
    if (this.closed) return unsubscribeWith(() => {}, Promise.resolve());
    const { first, remove } = this.local.add(topic, handler);
    // Commands on one connection run in order, so SUBSCRIBE/UNSUBSCRIBE churn ends in the right state.
    const ready = first ? this.sub.subscribe(this.prefix + topic).then(() => {}) : this.whenSubscribed();
    return unsubscribeWith(() => {
      if (!remove() || this.closed) return;
      this.unsubscribing.set(topic, (this.unsubscribing.get(topic) ?? 0) + 1);
      const done = () => {
        const left = (this.unsubscribing.get(topic) ?? 1) - 1;
        if (left > 0) this.unsubscribing.set(topic, left);
        else this.unsubscribing.delete(topic);
      };
      this.sub.unsubscribe(this.prefix + topic).then(done, done);
    }, ready);
  }

  onReconnect(listener: () => void): () => void {
    return this.reconnects.add(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.local.clear();
    this.reconnects.clear();
    await Promise.all([quit(this.pub), quit(this.sub)]);
  }

  /** A later handler of an already subscribed topic: active once the SUBSCRIBE ahead of it is. */
  private whenSubscribed(): Promise<void> {
    // PING is queued behind any SUBSCRIBE still in flight on the same connection.
    return this.sub.ping().then(() => {});
  }

  private received(channel: string, payload: string): void {
    if (this.closed || payload.startsWith(this.ownPrefix)) return;
    const topic = channel.slice(this.prefix.length);
    if (this.unsubscribing.has(topic)) return;
    this.local.deliverReceived(topic, payload, 'broker-redis');
  }

  private async resubscribe(): Promise<void> {
    this.interrupted = false;
    const channels = this.local.topics().map((topic) => this.prefix + topic);
    try {
      if (channels.length > 0) await this.sub.subscribe(...channels);
    } catch (error) {
      // The connection dropped again: the next 'ready' retries.
      this.interrupted = true;
      this.log?.warn({ err: error, engine: 'broker-redis' }, 'broker resubscribe failed; retrying on reconnect');
      return;
    }
    if (this.closed) return;
    this.log?.info({ engine: 'broker-redis', topics: channels.length }, 'broker reconnected to Redis');
    this.reconnects.notify();
  }
}

async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await redis.quit().catch(() => redis.disconnect());
}
