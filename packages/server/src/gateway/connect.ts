/**
 * `connect` and `refresh`: the connection token is the user token, verified like REST's bearer
 * token (app-signed HS256, or a JWKS token with the app named by `data.api_key`). See
 * docs/subsystems/realtime.md "Connecting".
 */
import { personalChannel } from '@parley/protocol';
import { decodeJwt } from 'jose';
import type { AuthContext } from '../auth/authenticate.js';
import { userTopic, type BrokerMessage } from '../engines/broker.js';
import { ApiError } from '../errors.js';
import { Disconnects, Errors } from './codes.js';
import type { Connection, UserAuth } from './connection.js';
import type { ConnectRequest, ConnectResult } from './protocol-types.js';

type Verified = { ok: true; auth: UserAuth; exp: number | undefined } | { ok: false; expired: boolean; reason: string; failure?: unknown };

function apiKeyOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const key = (data as Record<string, unknown>).api_key;
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}

/** The token's own `exp` (the signature was checked by the authenticator first). */
function expiryOf(token: string): number | undefined {
  const exp = decodeJwt(token).exp;
  return typeof exp === 'number' ? exp : undefined;
}

async function verify(connection: Connection, token: string | undefined, apiKey: string | undefined): Promise<Verified> {
  if (!token) return { ok: false, expired: false, reason: 'a token is required' };
  let auth: AuthContext | null;
  try {
    auth = await connection.services.authenticator.authenticate({ authorization: `Bearer ${token}`, apiKey });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'TOKEN_EXPIRED') return { ok: false, expired: true, reason: 'token expired' };
    if (error instanceof ApiError && error.status === 401) return { ok: false, expired: false, reason: `invalid token: ${error.message}` };
    return { ok: false, expired: false, reason: 'internal error', failure: error };
  }
  if (!auth || auth.kind !== 'user') return { ok: false, expired: false, reason: 'a user token is required' };
  // REST allows 60 s of clock skew past `exp`; a connection does not: an expired token makes the
  // client fetch a new one now, instead of connecting and being closed (3005) again and again.
  const exp = expiryOf(token);
  if (exp !== undefined && exp * 1000 <= Date.now()) return { ok: false, expired: true, reason: 'token expired' };
  return { ok: true, auth, exp };
}

function expiry(exp: number | undefined): { expires?: boolean; ttl?: number } {
  if (exp === undefined) return {};
  return { expires: true, ttl: Math.max(1, Math.floor(exp - Date.now() / 1000)) };
}

export async function connect(connection: Connection, id: number, body: ConnectRequest, frame: number): Promise<void> {
  const apiKey = apiKeyOf(body.data);
  const verified = await verify(connection, body.token, apiKey);
  if (connection.closed) return;
  if (!verified.ok) {
    if (verified.expired) {
      // The client fetches a new token (getToken) and connects again.
      connection.connectFailed(frame);
      connection.replyError(id, Errors.tokenExpired);
    } else if (verified.failure !== undefined) {
      connection.gateway.log.error({ err: verified.failure }, 'websocket connect failed');
      connection.connectFailed(frame);
      connection.replyError(id, Errors.internal);
    } else {
      connection.disconnect(Disconnects.invalidToken, verified.reason);
    }
    return;
  }
  const { auth, exp } = verified;
  connection.apiKey = apiKey;
  connection.authenticated(auth);
  const channel = personalChannel(auth.user.id);
  const topic = userTopic(auth.appId, auth.user.id);
  const listener = (message: BrokerMessage) => {
    const cid = message.event.cid;
    // A channel this connection watches delivers its message.new itself: the notification
    // would only double the frames (Stream sends it for unwatched channels only, too).
    if (message.event.type === 'notification.message_new' && connection.subscriptions.get(`chat:${String(cid)}`)?.live) return;
    connection.push({ channel, pub: { data: message.event } });
    // Removed from a channel: its subscription (if any) ends unless the user may still read it.
    const type = message.event.type;
    if ((type === 'notification.removed_from_channel' || type === 'user.banned') && typeof cid === 'string') connection.subscriptions.get(`chat:${cid}`)?.revalidate();
  };
  const { hub } = connection.gateway;
  void hub.add(topic, listener);
  connection.cleanups.push(() => hub.remove(topic, listener));
  // In presence under its personal channel: "online" means "has a connection", on any node. The
  // user's presence (user.presence.changed, last seen) follows each entry written and removed.
  const { presence, userPresence } = connection.services;
  // (Not added once the connection is gone: its clean-up may already have run.)
  const add = () => (connection.closed ? Promise.resolve() : presence.add(auth.appId, channel, connection.clientId, connection.personalInfo()).catch((error) => connection.gateway.log.warn({ err: error }, 'presence add failed')));
  void userPresence.connected(auth.appId, auth.user.id, add);
  connection.cleanups.push(() => userPresence.disconnected(auth.appId, auth.user.id, presence.remove(auth.appId, channel, connection.clientId)));
  const result: ConnectResult = {
    client: connection.clientId,
    version: connection.gateway.version,
    ping: connection.gateway.options.pingIntervalSeconds,
    pong: true,
    node: connection.gateway.nodeId,
    // The personal channel is a server-side subscription: notifications only, not recoverable
    // (/v1/sync is their catch-up).
    subs: { [channel]: {} },
    ...expiry(exp),
  };
  connection.reply(id, { connect: result });
  connection.scheduleExpiry(exp);
}

/** A new token for the same user extends the session; an expired one ends it (3005, the client reconnects with a fresh token). */
export async function refresh(connection: Connection, id: number, token: string | undefined): Promise<void> {
  const current = connection.auth!;
  const verified = await verify(connection, token, connection.apiKey);
  if (connection.closed) return;
  if (!verified.ok) {
    if (verified.expired) connection.disconnect(Disconnects.expired);
    else if (verified.failure !== undefined) connection.replyError(id, Errors.internal);
    else connection.disconnect(Disconnects.invalidToken, verified.reason);
    return;
  }
  if (verified.auth.appId !== current.appId || verified.auth.user.id !== current.user.id) {
    connection.disconnect(Disconnects.invalidToken, 'the token is for another user');
    return;
  }
  connection.auth = verified.auth;
  connection.scheduleExpiry(verified.exp);
  connection.reply(id, { refresh: { client: connection.clientId, version: connection.gateway.version, expires: verified.exp !== undefined, ...(verified.exp !== undefined ? { ttl: expiry(verified.exp).ttl } : {}) } });
}
