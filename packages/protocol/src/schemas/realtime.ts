/**
 * The realtime surface: channel names of the WebSocket gateway and the bodies of its RPC methods.
 * The gateway speaks Centrifugo's client protocol (JSON); see docs/subsystems/realtime.md.
 */
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { MarkDeliveredBody, MarkReadBody, MarkReadResult, ReadResult, TypingBody, UserRef } from './channels.js';
import { MessageResponse, ReactionBody, ReactionResponse, SendMessageBody } from './messages.js';
import { NullableTimestamp, Ok, Strict, Timestamp } from './common.js';

/** A channel's cid (`type:id`) as RPC bodies carry it. */
export const Cid = Type.String({ minLength: 3, maxLength: 200, pattern: '^[a-z][a-z0-9_-]{0,63}:[A-Za-z0-9_@.|=+!-]{1,128}$' });

/** The gateway channel that watches a channel: `chat:<type>:<id>` (`chat:` + its cid). */
export function chatChannel(cid: string): string {
  return `chat:${cid}`;
}

/** Every connection's server-side subscription: `user#<user_id>` (its user's notifications). */
export function personalChannel(userId: string): string {
  return `user#${userId}`;
}

/**
 * A user's chosen presence status. `invisible`: connected, but shown to others as offline (and
 * `last_active_at` is not moved while invisible). Kept across connections until changed.
 */
export const PresenceStatus = Type.Union([Type.Literal('online'), Type.Literal('away'), Type.Literal('dnd'), Type.Literal('invisible')]);
export type PresenceStatus = Static<typeof PresenceStatus>;
export const PRESENCE_STATUSES: readonly PresenceStatus[] = ['online', 'away', 'dnd', 'invisible'];

/** `PATCH /v1/me/presence` and the `set_status` rpc. */
export const SetPresenceBody = Strict({ status: PresenceStatus });
export type SetPresenceBody = Static<typeof SetPresenceBody>;

/** One's own presence as the user sees it (`invisible` included). */
export const OwnPresence = Type.Object({
  status: PresenceStatus,
  /** At least one connection, on any node. */
  online: Type.Boolean(),
  /** `users.last_active_at`: written when the last connection closes, and every minute while connected. */
  last_seen_at: NullableTimestamp,
});
export const PresenceResponse = Type.Object({ presence: OwnPresence });
export type PresenceResponse = Static<typeof PresenceResponse>;

/** The `viewing` rpc: the channel this connection shows (null: none). */
export const ViewingBody = Strict({ cid: Type.Union([Cid, Type.Null()]) });
export type ViewingBody = Static<typeof ViewingBody>;

/**
 * `user.presence.changed`, on the personal channel (`user#<id>`) of the users who share a channel
 * with the user, and of the user. Others see `status: "offline", online: false` for an invisible
 * user; the user's own connections see the real status.
 */
export const UserPresenceChangedEvent = Type.Object({
  type: Type.Literal('user.presence.changed'),
  user: UserRef,
  status: Type.Union([PresenceStatus, Type.Literal('offline')]),
  online: Type.Boolean(),
  last_seen_at: NullableTimestamp,
  created_at: Timestamp,
});
export type UserPresenceChangedEvent = Static<typeof UserPresenceChangedEvent>;

/** The REST body with the path parameter in front: one flat, strict object. */
function withTarget<P extends TProperties, B extends TProperties>(target: P, body: TObject<B>) {
  return Type.Object({ ...target, ...body.properties } as P & B, { additionalProperties: false });
}

/**
 * RPC methods over the socket. Each takes the REST body of the route it mirrors plus the path
 * parameter (`cid` for channel routes, `message_id` for message routes), and returns that route's
 * response body.
 */
export const RpcRequests = {
  /** POST /v1/channels/{type}/{id}/messages */
  send_message: withTarget({ cid: Cid }, SendMessageBody),
  /** POST /v1/channels/{type}/{id}/typing */
  typing: withTarget({ cid: Cid }, TypingBody),
  /** POST /v1/channels/{type}/{id}/read */
  mark_read: withTarget({ cid: Cid }, MarkReadBody),
  /** POST /v1/channels/{type}/{id}/delivered */
  mark_delivered: withTarget({ cid: Cid }, MarkDeliveredBody),
  /** POST /v1/messages/{id}/reactions */
  react: withTarget({ message_id: Type.String({ format: 'uuid' }) }, ReactionBody),
  /** PATCH /v1/me/presence */
  set_status: SetPresenceBody,
  /** Socket only: the channel this connection is viewing (kept in its presence info). */
  viewing: ViewingBody,
};

export const RpcResults = {
  send_message: MessageResponse,
  typing: Ok,
  mark_read: MarkReadResult,
  mark_delivered: ReadResult,
  react: ReactionResponse,
  set_status: PresenceResponse,
  viewing: Ok,
};

export type RpcMethod = keyof typeof RpcRequests;
export const RPC_METHODS = Object.keys(RpcRequests) as RpcMethod[];
export type RpcRequest<M extends RpcMethod> = Static<(typeof RpcRequests)[M]>;
export type RpcResult<M extends RpcMethod> = Static<(typeof RpcResults)[M]>;

/** What `connect` accepts in its `data`: the api key names the app of a JWKS (external provider) token. */
export const ConnectData = Type.Object({ api_key: Type.Optional(Type.String({ maxLength: 128 })) });
export type ConnectData = Static<typeof ConnectData>;
