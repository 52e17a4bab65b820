/**
 * RPC over the socket: the REST writes that need low latency, run by the same actions with the
 * connection's user, validated by the same strict schemas, limited by the same per-user and
 * per-app request limits, answering the REST response body. See docs/subsystems/realtime.md "RPC".
 */
import { personalChannel, RPC_METHODS, RpcRequests, RpcResults, type RpcMethod, type RpcRequest } from '@parley/protocol';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { ValidateFunction } from 'ajv';
import { accessChannel } from '../actions/access.js';
import { doSetPresence } from '../actions/presence.js';
import { doAddReaction } from '../actions/reactions.js';
import { doMarkDelivered, doMarkRead } from '../actions/read-state.js';
import { doSendMessage } from '../actions/send-message.js';
import { doTyping } from '../actions/typing.js';
import { DEFAULT_LIMITS } from '../engines/rate-limiter.js';
import { ApiError } from '../errors.js';
import { ajvErrorToApiError, validatorCompiler } from '../http/validation.js';
import type { Services } from '../services.js';
import { parseCid } from './channel-names.js';
import { apiErrorReply, Errors } from './codes.js';
import { ConnectionClosed, type Connection, type UserAuth } from './connection.js';
import type { RpcRequest as RpcCommand } from './protocol-types.js';

type Handlers = { [M in RpcMethod]: (services: Services, auth: UserAuth, data: RpcRequest<M>, connection: Connection) => Promise<unknown> };

function channelOf(cid: string) {
  const channel = parseCid(cid);
  if (!channel) throw new ApiError('VALIDATION_ERROR', 'cid: is not a channel cid (type:id)', { field: 'cid' });
  return channel;
}

const HANDLERS: Handlers = {
  send_message: async (services, auth, { cid, ...body }) => {
    const { type, id } = channelOf(cid);
    return { message: (await doSendMessage(services, auth, type, id, body)).message };
  },
  typing: async (services, auth, { cid, ...body }) => {
    const { type, id } = channelOf(cid);
    return doTyping(services, auth, type, id, body);
  },
  mark_read: async (services, auth, { cid, ...body }) => {
    const { type, id } = channelOf(cid);
    return doMarkRead(services, auth, type, id, body);
  },
  mark_delivered: async (services, auth, { cid, seq }) => {
    const { type, id } = channelOf(cid);
    return doMarkDelivered(services, auth, type, id, seq);
  },
  react: async (services, auth, { message_id, ...body }) => doAddReaction(services, auth, message_id, body),
  set_status: async (services, auth, body) => doSetPresence(services, auth, body),
  viewing: async (services, auth, { cid }, connection) => {
    // Only a channel the user may read; kept in the connection's personal presence entry (isViewing).
    if (cid !== null) {
      const { type, id } = channelOf(cid);
      await accessChannel(services, services.pool, auth, type, id);
    }
    if (connection.closed) throw new ConnectionClosed();
    connection.viewing = cid;
    await services.presence.add(auth.appId, personalChannel(auth.user.id), connection.clientId, connection.personalInfo());
    return { ok: true };
  },
};

const validators = new Map<RpcMethod, ValidateFunction>(
  RPC_METHODS.map((method) => [method, validatorCompiler({ schema: RpcRequests[method], httpPart: 'body', method: 'POST', url: `rpc:${method}` }) as unknown as ValidateFunction]),
);

/** What REST's response serialization would send: only the fields of the response schema. */
function asResponse(schema: TSchema, value: unknown): unknown {
  return Value.Clean(schema, JSON.parse(JSON.stringify(value)));
}

/** The same request limits as REST (auth hook): per app and per user. Fails open, as REST does. */
async function checkRateLimits(services: Services, auth: UserAuth): Promise<void> {
  const app = await services.apps.get(auth.appId);
  const limits = { ...DEFAULT_LIMITS, ...(app?.settings.limits ?? {}) };
  let results;
  try {
    results = await Promise.all([
      services.rateLimiter.hit(`a:${auth.appId}`, limits.requests_per_second_per_app, 1),
      services.rateLimiter.hit(`u:${auth.appId}:${auth.user.id}`, limits.requests_per_second_per_user, 1),
    ]);
  } catch {
    return;
  }
  const denied = results.find((r) => !r.allowed);
  if (denied) throw new ApiError('RATE_LIMITED', 'too many requests', undefined, denied.retryAfter);
}

export async function rpc(connection: Connection, id: number, body: RpcCommand): Promise<void> {
  const method = body.method as RpcMethod;
  if (!Object.prototype.hasOwnProperty.call(HANDLERS, method)) {
    connection.replyError(id, { ...Errors.notAvailable, message: `no rpc method "${body.method ?? ''}"` });
    return;
  }
  try {
    const validate = validators.get(method)!;
    const data = body.data ?? {};
    if (!validate(data)) throw ajvErrorToApiError(validate.errors ?? [], 'body');
    const auth = await connection.currentAuth();
    await checkRateLimits(connection.services, auth);
    const result = await (HANDLERS[method] as (s: Services, a: UserAuth, d: unknown, c: Connection) => Promise<unknown>)(connection.services, auth, data, connection);
    connection.reply(id, { rpc: { data: asResponse(RpcResults[method], result) } });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    connection.replyError(id, apiErrorReply(error));
  }
}
