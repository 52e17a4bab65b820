/**
 * Broker engine: delivers published events to subscribers of a topic, on this node (memory) or
 * on every node (Redis, NATS; realtime milestone).
 *
 * Contract:
 * - `publish` is called only after the transaction that wrote the events committed.
 * - Events of one topic published by one node reach each subscriber in publish order.
 * - A subscriber error never affects the publisher or other subscribers.
 * Topics: `chat:<type>:<id>` (channel watchers), `user#<user_id>` (a user's notifications),
 * each scoped by app: `<app_id>/<topic>`.
 */
export interface Broker {
  publish(topic: string, message: BrokerMessage): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(topic: string, handler: (message: BrokerMessage) => void): () => void;
  close(): Promise<void>;
}

/** What travels between nodes: the event plus what the gateway needs to route it. */
export interface BrokerMessage {
  appId: string;
  event: Record<string, unknown> & { type: string };
  /** Channel stream offset (the event's seq) for chat topics. */
  offset?: number;
}

export function channelTopic(appId: string, type: string, id: string): string {
  return `${appId}/chat:${type}:${id}`;
}

export function userTopic(appId: string, userId: string): string {
  return `${appId}/user#${userId}`;
}
