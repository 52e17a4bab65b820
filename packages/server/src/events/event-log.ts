/**
 * The event log. Every mutation writes its events in the same transaction as its rows
 * (`append`), then publishes them after commit (`publish`). See docs/subsystems/events.md.
 */
import type { UserRef } from '@parley/protocol';
import { channelTopic, userTopic, type Broker, type BrokerMessage } from '../engines/broker.js';
import type { Queryable } from '../db/pool.js';

export type ParleyEvent = Record<string, unknown> & { type: string; created_at: string };

interface Pending {
  topic: string;
  message: BrokerMessage;
}

/** Collects what a transaction will publish once it has committed. */
export class EventBatch {
  readonly pending: Pending[] = [];
  constructor(readonly appId: string) {}

  /**
   * A channel event with its seq: stored in the log and published to the channel's watchers.
   * `visibleTo` limits it to one user (events of a shadowed message: its author); the others'
   * streams skip that seq.
   */
  async channelEvent(db: Queryable, type: string, channelId: string, seq: number, event: ParleyEvent, visibleTo: string | null = null): Promise<ParleyEvent> {
    const full: ParleyEvent = { ...event, cid: `${type}:${channelId}`, seq };
    await db.query({
      name: 'event-insert',
      text: 'insert into events (app_id, type, channel_id, seq, event, visible_to) values ($1, $2, $3, $4, $5, $6)',
      values: [this.appId, type, channelId, seq, full, visibleTo],
    });
    const message: BrokerMessage = { appId: this.appId, event: full, offset: seq };
    if (visibleTo) message.visibleTo = visibleTo;
    this.pending.push({ topic: channelTopic(this.appId, type, channelId), message });
    return full;
  }

  /** A personal event kept in the log (sync returns it to that user only). */
  async userEvent(db: Queryable, userId: string, event: ParleyEvent): Promise<void> {
    await db.query('insert into events (app_id, target_user_id, event) values ($1, $2, $3)', [this.appId, userId, event]);
    this.notify(userId, event);
  }

  /** A personal notification that is not logged (derivable from channel events on sync). */
  notify(userId: string, event: ParleyEvent): void {
    this.pending.push({ topic: userTopic(this.appId, userId), message: { appId: this.appId, event } });
  }

  /** Ephemeral channel event (typing): published, never stored, no seq. */
  ephemeral(type: string, channelId: string, event: ParleyEvent): void {
    this.pending.push({ topic: channelTopic(this.appId, type, channelId), message: { appId: this.appId, event: { ...event, cid: `${type}:${channelId}` } } });
  }

  /**
   * Publishes in order; call only after commit. Every publish is issued before any is awaited: a
   * message to a 1,000-member channel notifies 1,000 personal topics, and one Redis round trip
   * after another would hold the sender's response for all of them. Order is kept all the same:
   * brokers deliver locally and queue on their connection in call order.
   */
  async publish(broker: Broker): Promise<void> {
    await Promise.all(this.pending.map(({ topic, message }) => broker.publish(topic, message)));
  }
}

/**
 * What a user who may not see an event gets at its seq (an event of another user's shadowed
 * message): its position and nothing else, so streams stay gapless and clients need not re-read.
 */
export function hiddenEvent(event: Record<string, unknown>): ParleyEvent {
  return { type: 'event.hidden', cid: event.cid, seq: event.seq, created_at: event.created_at as string };
}

export function now(): string {
  return new Date().toISOString();
}

export function userRef(user: { id: string; name: string | null; image: string | null } | null): UserRef | null {
  return user ? { id: user.id, name: user.name, image: user.image } : null;
}
