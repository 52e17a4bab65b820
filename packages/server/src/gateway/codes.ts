/**
 * Error, disconnect and unsubscribe codes of the realtime protocol. Built-in codes are
 * Centrifugo's, so the `centrifuge` client reacts as it does with Centrifugo (retry, refresh the
 * token, reconnect or stop). See docs/subsystems/realtime.md "Codes".
 */
import type { ApiError } from '../errors.js';
import type { ProtocolError } from './protocol-types.js';

/** Errors in replies. Codes below 100 and `temporary` errors make the client retry. */
export const Errors = {
  internal: { code: 100, message: 'internal server error', temporary: true },
  unauthorized: { code: 101, message: 'unauthorized' },
  unknownChannel: { code: 102, message: 'unknown channel' },
  permissionDenied: { code: 103, message: 'permission denied' },
  methodNotFound: { code: 104, message: 'method not found' },
  alreadySubscribed: { code: 105, message: 'already subscribed' },
  limitExceeded: { code: 106, message: 'limit exceeded' },
  badRequest: { code: 107, message: 'bad request' },
  notAvailable: { code: 108, message: 'not available' },
  /** The client fetches a new token (getToken) and retries. */
  tokenExpired: { code: 109, message: 'token expired' },
  tooManyRequests: { code: 111, message: 'too many requests', temporary: true },
  /** History `since` (or a recovery with the reject-unrecovered flag) from another epoch or beyond the window. */
  unrecoverablePosition: { code: 112, message: 'unrecoverable position' },
} satisfies Record<string, ProtocolError>;

export interface DisconnectCode {
  code: number;
  reason: string;
}

/**
 * Close codes. 3000–3499: the client reconnects (with backoff); 3500–3999: it stops. The reason
 * is sent as the WebSocket close reason (at most 123 bytes).
 */
export const Disconnects = {
  shutdown: { code: 3001, reason: 'shutdown' },
  serverError: { code: 3004, reason: 'internal server error' },
  expired: { code: 3005, reason: 'connection expired' },
  slow: { code: 3008, reason: 'slow' },
  noPong: { code: 3012, reason: 'no pong' },
  invalidToken: { code: 3500, reason: 'invalid token' },
  badRequest: { code: 3501, reason: 'bad request' },
  stale: { code: 3502, reason: 'stale' },
  forceNoReconnect: { code: 3503, reason: 'force disconnect' },
} satisfies Record<string, DisconnectCode>;

/** Server unsubscribe pushes: below 2500 the client stays unsubscribed, from 2500 it resubscribes. */
export const Unsubscribes = {
  /** Access lost (removed from the channel, channel deleted): do not resubscribe. */
  accessLost: { code: 2000, reason: 'permission denied' },
  channelDeleted: { code: 2000, reason: 'channel deleted' },
  /** The server could not keep the stream whole: resubscribe (and recover). */
  insufficientState: { code: 2500, reason: 'insufficient state' },
} satisfies Record<string, DisconnectCode>;

/**
 * An API error as an error reply (RPC methods): `code` is the REST status (400–599, inside the
 * protocol's range for application errors, 400–1999), `message` is the REST error body as JSON
 * text (`{"error": {"code": "EMPTY_MESSAGE", "message": …, "details": …, "retry_after": …}}`),
 * since the client passes on only code, message and temporary. 429 and 5xx are temporary.
 */
export function apiErrorReply(error: ApiError): ProtocolError {
  const reply: ProtocolError = { code: error.status, message: JSON.stringify(error.toBody()) };
  if (error.status === 429 || error.status >= 500) reply.temporary = true;
  return reply;
}
