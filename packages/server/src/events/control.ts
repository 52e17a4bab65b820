/**
 * Control messages between nodes: a write that must reach every open connection of a user or of
 * a key (deactivation, deletion, key revocation, a change of read access that no channel event
 * tells) publishes one on its app's control topic, and
 * every gateway node that holds connections of that app acts on it. See
 * docs/subsystems/realtime.md "Control messages".
 */
import type { Logger } from 'pino';
import type { Broker } from '../engines/broker.js';
import { now } from './event-log.js';

export function controlTopic(appId: string): string {
  return `${appId}/control`;
}

export type ControlEvent =
  /** The user can no longer sign in: close their connections (no reconnect). */
  | { type: 'control.user_disabled'; user_id: string; reason: 'deactivated' | 'deleted' }
  /** A key was deleted: tokens signed with it (or JWKS tokens that named it) stop now. */
  | { type: 'control.key_deleted'; key_id: string }
  /**
   * Read access may have changed without a channel event: a channel type's grants (every
   * subscription to a channel of that type), or users' app roles (their subscriptions). Each is
   * checked again; those no longer readable end.
   */
  | { type: 'control.access_changed'; channel_type?: string; user_ids?: string[] };

/**
 * Publishes after the change is committed. Never throws: the change itself succeeded, and every
 * node refuses the user's next connect or token refresh anyway (the caches expire within 2 s).
 */
export async function publishControl(broker: Broker, appId: string, event: ControlEvent, log?: Logger): Promise<void> {
  try {
    await broker.publish(controlTopic(appId), { appId, event: { ...event, created_at: now() } });
  } catch (error) {
    log?.warn({ err: error, control: event.type }, 'control message not published');
  }
}
