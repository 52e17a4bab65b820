import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection, type NodeConnectionOptions, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import {
  encodeEnvelope,
  LocalSubscribers,
  ReconnectListeners,
  unsubscribeWith,
  type Broker,
  type BrokerHandler,
  type BrokerMessage,
  type BrokerOptions,
  type Unsubscribe,
} from './broker.js';
import { describeError } from './redis-connect.js';
import { topicToSubject } from './nats-subject.js';

export interface NatsBrokerOptions extends BrokerOptions {
  /** First subject token(s) (default `parley`); see nats-subject.ts for the rest. */
  prefix?: string;
  /** How long `connect` waits for the server before failing (default 5 s). */
  connectTimeoutMs?: number;
  /** Connection name shown by the server's monitoring (default `parley-broker`). */
  name?: string;
}

/**
 * Core NATS (no JetStream: durability is the event log's job): one connection per node, one
 * subscription per topic while the node has local handlers for it. Topics map to subjects with
 * an injective escaping (nats-subject.ts). A publication is delivered to local handlers at once
 * and published with `noEcho`, so the server does not send it back. NATS keeps a connection's
 * publications in order for each subscriber.
 *
 * Outages: the client reconnects forever with backoff and resubscribes; publications made while
 * disconnected are buffered by the client (up to its reconnect buffer) and sent after reconnect,
 * publications of other nodes in between are missed, so `onReconnect` listeners run once the
 * subscriptions are active again. A subscriber the server finds too slow is disconnected by it
 * (slow consumer) and reconnects the same way.
 */
export class NatsBroker implements Broker {
  private readonly prefix: string;
  private readonly nodeId = randomUUID();
  private readonly local: LocalSubscribers;
  private readonly reconnects: ReconnectListeners;
  private readonly log: Logger | undefined;
  private readonly subscriptions = new Map<string, Subscription>();
  private closed = false;

  /** Connects; rejects when the server does not answer in time. */
  static async connect(url: string, options: NatsBrokerOptions = {}): Promise<NatsBroker> {
    let connection: NatsConnection;
    try {
      connection = await connect({ ...natsOptions(url), name: options.name ?? 'parley-broker', noEcho: true, maxReconnectAttempts: -1, reconnectTimeWait: 1_000, timeout: options.connectTimeoutMs ?? 5_000 });
    } catch (error) {
      throw new Error(describeError(error), { cause: error });
    }
    return new NatsBroker(connection, options);
  }

  private constructor(
    private readonly nc: NatsConnection,
    options: NatsBrokerOptions,
  ) {
    this.prefix = options.prefix ?? 'parley';
    this.log = options.log;
    this.local = new LocalSubscribers(options.log);
    this.reconnects = new ReconnectListeners(options.log);
    void this.watchStatus();
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    if (this.closed) return;
    const payload = encodeEnvelope(this.nodeId, message);
    this.local.deliver(topic, message);
    try {
      this.nc.publish(topicToSubject(this.prefix, topic), payload);
    } catch (error) {
      this.log?.warn({ err: error, topic, engine: 'broker-nats' }, 'broker publish failed; other nodes miss this event');
    }
  }

  subscribe(topic: string, handler: BrokerHandler): Unsubscribe {
    if (this.closed) return unsubscribeWith(() => {}, Promise.resolve());
    const { first, remove } = this.local.add(topic, handler);
    if (first) {
      const subscription = this.nc.subscribe(topicToSubject(this.prefix, topic), {
        callback: (error, msg) => {
          if (error) {
            this.log?.warn({ err: error, topic, engine: 'broker-nats' }, 'broker subscription error');
            return;
          }
          if (!this.closed) this.local.deliverReceived(topic, msg.string(), 'broker-nats');
        },
      });
      this.subscriptions.set(topic, subscription);
    }
    // A PING round trip: the server has processed the SUB sent before it.
    const ready = this.nc.flush();
    return unsubscribeWith(() => {
      if (!remove()) return;
      const subscription = this.subscriptions.get(topic);
      this.subscriptions.delete(topic);
      if (subscription && !this.closed) subscription.unsubscribe();
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
    this.subscriptions.clear();
    // Drain sends what is buffered, unsubscribes, then closes.
    await this.nc.drain().catch(() => this.nc.close());
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (this.closed) return;
      if (status.type === 'disconnect') {
        this.log?.warn({ engine: 'broker-nats', server: status.server }, 'broker connection to NATS lost; reconnecting (publications from other nodes are missed meanwhile)');
      } else if (status.type === 'reconnect') {
        // The client resent every SUB on reconnect; a round trip makes sure they are active.
        await this.nc.flush().catch(() => {});
        if (this.closed) return;
        this.log?.info({ engine: 'broker-nats', server: status.server }, 'broker reconnected to NATS');
        this.reconnects.notify();
      } else if (status.type === 'slowConsumer') {
        this.log?.warn({ engine: 'broker-nats', pending: status.pending }, 'broker subscriber is a slow consumer; messages may be dropped');
      }
    }
  }
}

/** `nats://[user[:pass]@]host[:port]`: credentials as options (the client does not read them from the URL). */
export function natsOptions(url: string): NodeConnectionOptions {
  const parsed = new URL(url);
  const options: NodeConnectionOptions = { servers: `${parsed.hostname}:${parsed.port || '4222'}` };
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  if (user && pass) Object.assign(options, { user, pass });
  else if (user) options.token = user;
  return options;
}
