/** Channel bans: hard (out of the channel) and shadow (messages only their author sees). */
import { Type, type Static } from '@sinclair/typebox';
import { ChannelTypeName } from './channel-types.js';
import { UserRef } from './channels.js';
import { Cursor, Id, Nullable, NullableTimestamp, Strict, Timestamp } from './common.js';

export const BanBody = Strict({
  user_id: Id,
  reason: Type.Optional(Type.String({ maxLength: 500 })),
  /** Seconds until the ban lifts by itself; without it the ban lasts until lifted. */
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 * 60 * 24 * 365 * 10 })),
  /** A shadow ban keeps the user in the channel; their new messages are visible to them only. */
  shadow: Type.Optional(Type.Boolean()),
});
export type BanBody = Static<typeof BanBody>;

export const Ban = Type.Object({
  cid: Type.String(),
  user: UserRef,
  shadow: Type.Boolean(),
  reason: Nullable(Type.String()),
  banned_by: Nullable(Type.String()),
  expires_at: NullableTimestamp,
  created_at: Timestamp,
});
export type Ban = Static<typeof Ban>;

export const BanResponse = Type.Object({ ban: Ban });
export const BanListQuery = Strict({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), next: Type.Optional(Cursor) });
export type BanListQuery = Static<typeof BanListQuery>;
export const BanList = Type.Object({ bans: Type.Array(Ban), next: Nullable(Type.String()) });
export const BanParams = Type.Object({ type: ChannelTypeName, id: Id, user_id: Id });

/** `POST /v1/users/{id}/ban`: an app-wide ban (server token or app admin). */
export const AppBanBody = Strict({
  reason: Type.Optional(Type.String({ maxLength: 500 })),
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 * 60 * 24 * 365 * 10 })),
  shadow: Type.Optional(Type.Boolean()),
});
export type AppBanBody = Static<typeof AppBanBody>;
