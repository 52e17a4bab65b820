/** Events of `client.on(...)`. */
import type { Message, WireEvent } from '@parley/protocol';
import type { ParleyError } from './errors.js';
import type { PendingAction } from './state/action-types.js';
import type { ConnectionState, OutboxItem } from './state/types.js';

/**
 * @example
 * client.on('auth-failed', (error) => router.push('/sign-in'));
 * client.on('connection', (state) => setBanner(state === 'offline'));
 */
export interface ClientEvents extends Record<string, unknown> {
  /** The connection state changed. */
  connection: ConnectionState;
  /** The token was refused for good (never retried until `reconnect()`). */
  'auth-failed': ParleyError;
  /** Every event applied to the store (live or from sync). */
  event: WireEvent;
  /** An outbox item reached the server. */
  'message-sent': { item: OutboxItem; message: Message };
  /** An outbox item failed for good (see `retry()` / `cancel()`). */
  'message-failed': { item: OutboxItem; error: ParleyError };
  /** A queued reaction, edit or delete was refused for good and reverted (e.g. PERMISSION_DENIED). */
  'action-failed': { action: PendingAction; error: ParleyError };
  /** Something failed in the background (sync, subscriptions, storage). */
  error: unknown;
}
