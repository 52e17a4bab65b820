/**
 * Broker engine: delivers published events to subscribers of a topic, on this node (memory) or
 * on every node (Redis pub/sub, NATS core subjects). See docs/subsystems/realtime.md
 * "Scale-out engines".
 *
 * Contract (the conformance suite, engines/broker.test.ts, checks it for every implementation):
 * - `publish` is called only after the transaction that wrote the events committed (the caller's
 *   job: the event log publishes after commit). Delivery is at most once: what a transport outage
 *   loses, clients get back from the event log (realtime recovery, /v1/sync).
 * - Every subscriber of the topic receives the message, on every node, the publishing node
 *   included: a node delivers its own publications to its local subscribers synchronously, inside
 *   `publish`, before they go out to the other nodes.
 * - Messages of one topic published by one node reach each subscriber in publish order. There is
 *   no order between nodes, nor between topics; chat topics carry `offset` (the channel `seq`) so
 *   a receiver can restore order and detect gaps.
 * - A subscriber error (thrown, or a rejected promise) never affects the publisher or other
 *   subscribers; it is logged.
 * - `publish` rejects only for a message that is not JSON-serialisable (a programming error); a
 *   transport failure is logged and the message is lost for other nodes.
 * - Handlers get a JSON-compatible `BrokerMessage` and must not mutate it (one object is shared by
 *   all handlers of a node).
 * - `subscribe` returns an unsubscribe function (idempotent). Its `ready` promise resolves once the
 *   subscription is active on the transport: publications from other nodes made after that reach
 *   the handler (a few made just before may too). Read the event log after `ready` (not before)
 *   to recover without a gap, and drop what the log already gave by `offset`.
 * - `onReconnect` listeners run after the node's connection to the transport was lost and its
 *   subscriptions are active again: publications from other nodes in between were missed.
 * - `close()` stops delivery and releases connections; `publish` afterwards is a no-op.
 *
 * Topics: `chat:<type>:<id>` (channel watchers), `user#<user_id>` (a user's notifications),
 * `control` (disconnect orders between gateway nodes, events/control.ts), each scoped by app:
 * `<app_id>/<topic>`. Engines treat topics as opaque strings.
 */
import type { Logger } from 'pino';

export interface Broker {
  publish(topic: string, message: BrokerMessage): Promise<void>;
  /** Returns an unsubscribe function whose `ready` resolves when the subscription is active. */
  subscribe(topic: string, handler: BrokerHandler): Unsubscribe;
  /** Called after a transport reconnect (publications were possibly missed); returns a remover. */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}

/** May be async: a rejected promise is caught and logged like a throw. */
export type BrokerHandler = (message: BrokerMessage) => void;

export interface Unsubscribe {
  (): void;
  /** Resolves once publications from other nodes reach this subscription. */
  readonly ready: Promise<void>;
}

/** What travels between nodes: the event plus what the gateway needs to route it. */
export interface BrokerMessage {
  appId: string;
  event: Record<string, unknown> & { type: string };
  /** Channel stream offset (the event's seq) for chat topics. */
  offset?: number;
  /**
   * The node that published an ephemeral state event (typing), so that a node's typing state can
   * tell its own publications from other nodes'. Never shown to clients (they get `event`).
   */
  origin?: string;
  /** Only this user may see the event (a shadowed message's events); others skip its offset. */
  visibleTo?: string;
}

export interface BrokerOptions {
  /** Where subscriber errors, lost publications and connection changes are reported. */
  log?: Logger;
}

export function channelTopic(appId: string, type: string, id: string): string {
  return `${appId}/chat:${type}:${id}`;
}

export function userTopic(appId: string, userId: string): string {
  return `${appId}/user#${userId}`;
}

interface Subscription {
  readonly handler: BrokerHandler;
}

/**
 * This node's handlers, reference-counted per topic; shared by every Broker implementation. The
 * transport subscribes a topic when its first handler arrives and unsubscribes after its last.
 */
export class LocalSubscribers {
  private readonly byTopic = new Map<string, Set<Subscription>>();

  constructor(private readonly log: Logger | undefined) {}

  /** Adds a handler; `first` is true when the topic had none (the transport should subscribe). */
  add(topic: string, handler: BrokerHandler): { first: boolean; remove: () => boolean } {
    let subscriptions = this.byTopic.get(topic);
    const first = !subscriptions;
    if (!subscriptions) {
      subscriptions = new Set();
      this.byTopic.set(topic, subscriptions);
    }
    const subscription: Subscription = { handler };
    subscriptions.add(subscription);
    const set = subscriptions;
    let removed = false;
    // Returns true when this removed the topic's last handler (the transport should unsubscribe).
    const remove = () => {
      if (removed) return false;
      removed = true;
      set.delete(subscription);
      if (set.size > 0 || this.byTopic.get(topic) !== set) return false;
      this.byTopic.delete(topic);
      return true;
    };
    return { first, remove };
  }

  topics(): string[] {
    return [...this.byTopic.keys()];
  }

  /** Calls every handler of the topic; none can affect another. */
  deliver(topic: string, message: BrokerMessage): void {
    const subscriptions = this.byTopic.get(topic);
    if (!subscriptions) return;
    for (const { handler } of [...subscriptions]) {
      try {
        const result = handler(message) as unknown;
        if (result instanceof Promise) result.then(undefined, (error: unknown) => this.failed(topic, error));
      } catch (error) {
        this.failed(topic, error);
      }
    }
  }

  /**
   * Delivers a payload received from the transport (an `encodeEnvelope` string, from another
   * node) to the topic's handlers: nothing to do when the topic has none here; a payload that is
   * not a broker message is logged (with `engine`) and dropped.
   */
  deliverReceived(topic: string, payload: string, engine: string): void {
    if (!this.byTopic.has(topic)) return;
    let message: BrokerMessage;
    try {
      message = decodeEnvelope(payload);
    } catch (error) {
      this.log?.warn({ err: error, topic, engine }, 'broker received a malformed message; dropped');
      return;
    }
    this.deliver(topic, message);
  }

  clear(): void {
    this.byTopic.clear();
  }

  private failed(topic: string, error: unknown): void {
    this.log?.warn({ err: error, topic }, 'broker subscriber failed');
  }
}

/** An unsubscribe function carrying its `ready` promise. */
export function unsubscribeWith(unsubscribe: () => void, ready: Promise<void>): Unsubscribe {
  // A transport that closes before the subscription is active must not leave an unhandled rejection.
  ready.catch(() => {});
  return Object.assign(unsubscribe, { ready });
}

/** Listeners of `onReconnect`. */
export class ReconnectListeners {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly log: Logger | undefined) {}

  add(listener: () => void): () => void {
    const entry = () => listener();
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        this.log?.warn({ err: error }, 'broker reconnect listener failed');
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

const eventJson = new WeakMap<object, string>();

/**
 * A broker message as JSON. One event object is often published to many topics (a new message's
 * notification to every member's personal topic): its JSON is computed once per event object,
 * not once per topic. Events are never changed after they are published.
 */
export function messageJson(message: BrokerMessage): string {
  let event = eventJson.get(message.event);
  if (event === undefined) {
    event = JSON.stringify(message.event);
    eventJson.set(message.event, event);
  }
  const { event: _event, ...rest } = message;
  const head = JSON.stringify(rest);
  return head === '{}' ? `{"event":${event}}` : `${head.slice(0, -1)},"event":${event}}`;
}

/**
 * The wire format shared by Redis and NATS: `{"n": <node id>, "m": <BrokerMessage>}`, JSON. The
 * node id lets a node skip its own publications (already delivered locally) without parsing them.
 */
export function encodeEnvelope(nodeId: string, message: BrokerMessage): string {
  return `{"n":${JSON.stringify(nodeId)},"m":${messageJson(message)}}`;
}

export function envelopePrefix(nodeId: string): string {
  return `{"n":${JSON.stringify(nodeId)},`;
}

export function decodeEnvelope(payload: string): BrokerMessage {
  const parsed = JSON.parse(payload) as { m?: BrokerMessage };
  if (!parsed || typeof parsed !== 'object' || !parsed.m || typeof parsed.m.appId !== 'string' || typeof parsed.m.event?.type !== 'string') {
    throw new Error('not a broker message');
  }
  return parsed.m;
}
