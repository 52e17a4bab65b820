import { Type, type Static } from '@sinclair/typebox';
import { Strict, Id, Timestamp, NullableTimestamp, Custom, Limit, Cursor, Nullable } from './common.js';
import { RoleName } from './apps.js';

export const User = Type.Object(
  {
    id: Type.String(),
    name: Nullable(Type.String()),
    image: Nullable(Type.String()),
    role: Type.String(),
    custom: Custom,
    created_at: Timestamp,
    updated_at: Timestamp,
    deactivated_at: NullableTimestamp,
    deleted_at: NullableTimestamp,
    last_active_at: NullableTimestamp,
    /** Under an app-wide (hard) ban: may read, may not write anywhere. */
    banned: Type.Boolean(),
  },
  { $id: 'User' },
);
export type User = Static<typeof User>;

const Name = Type.String({ maxLength: 200 });
const Image = Type.String({ maxLength: 2048 });

export const UserInput = Strict({
  id: Id,
  name: Type.Optional(Nullable(Name)),
  image: Type.Optional(Nullable(Image)),
  role: Type.Optional(RoleName),
  custom: Type.Optional(Custom),
});
export type UserInput = Static<typeof UserInput>;

export const UpsertUsersBody = Strict({ users: Type.Array(UserInput, { minItems: 1, maxItems: 100 }) });
export type UpsertUsersBody = Static<typeof UpsertUsersBody>;

export const UsersResponse = Type.Object({ users: Type.Array(User) });
export const UserResponse = Type.Object({ user: User });
export const UserPage = Type.Object({ users: Type.Array(User), next: Nullable(Type.String()) });

/** Self updates may only touch these; a server token may also set `role`. */
export const UpdateUserBody = Strict({
  name: Type.Optional(Nullable(Name)),
  image: Type.Optional(Nullable(Image)),
  custom: Type.Optional(Custom),
  role: Type.Optional(RoleName),
});
export type UpdateUserBody = Static<typeof UpdateUserBody>;
export const SELF_EDITABLE_USER_FIELDS = ['name', 'image', 'custom'] as const;

export const QueryUsersQuery = Strict({
  filter: Type.Optional(Type.String({ maxLength: 4096, description: 'JSON filter: {"id":{"$in":[...]},"role":"coach","name":{"$autocomplete":"al"},"custom.team":"u12"}' })),
  sort: Type.Optional(Type.String({ maxLength: 512, description: 'JSON list of {field, direction} or a field name, `-` prefix for descending' })),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
  include_deactivated: Type.Optional(Type.Boolean()),
});
export type QueryUsersQuery = Static<typeof QueryUsersQuery>;

export const DeleteUserQuery = Strict({
  mode: Type.Optional(Type.Union([Type.Literal('soft'), Type.Literal('hard')])),
  messages: Type.Optional(Type.Union([Type.Literal('keep'), Type.Literal('soft'), Type.Literal('hard')])),
});
export type DeleteUserQuery = Static<typeof DeleteUserQuery>;

export const MeResponse = Type.Object({
  user: User,
  total_unread_count: Type.Integer(),
  unread_channels: Type.Integer(),
  mutes: Type.Array(Type.Object({ target_id: Type.String(), created_at: Timestamp, expires_at: NullableTimestamp })),
  blocks: Type.Array(Type.Object({ user_id: Type.String(), created_at: Timestamp })),
  devices: Type.Array(Type.Object({ id: Type.String(), provider: Type.String(), created_at: Timestamp })),
});
export type MeResponse = Static<typeof MeResponse>;

export const CreateTokenBody = Strict({
  user_id: Id,
  expires_in: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 * 60 * 24 * 365, description: 'seconds' })),
});
export type CreateTokenBody = Static<typeof CreateTokenBody>;
export const TokenResponse = Type.Object({ token: Type.String(), expires_at: NullableTimestamp });
