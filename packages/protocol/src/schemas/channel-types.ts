import { Type, type Static } from '@sinclair/typebox';
import { Strict, Nullable } from './common.js';
import { PERMISSIONS, ROLE_NAME_PATTERN } from '../permissions.js';

const PositiveOrNull = Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 }));

export const ChannelTypeConfigPatch = Strict({
  typing_events: Type.Optional(Type.Boolean()),
  read_receipts: Type.Optional(Type.Boolean()),
  reactions: Type.Optional(Type.Boolean()),
  replies: Type.Optional(Type.Boolean()),
  quotes: Type.Optional(Type.Boolean()),
  uploads: Type.Optional(Type.Boolean()),
  search: Type.Optional(Type.Boolean()),
  url_enrichment: Type.Optional(Type.Boolean()),
  push_notifications: Type.Optional(Type.Boolean()),
  presence: Type.Optional(Type.Boolean()),
  max_message_length: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  edit_window_seconds: Type.Optional(PositiveOrNull),
  max_members: Type.Optional(PositiveOrNull),
  min_members: Type.Optional(PositiveOrNull),
  slow_mode_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  typing_watcher_threshold: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
});
export type ChannelTypeConfigPatch = Static<typeof ChannelTypeConfigPatch>;

export const PermissionName = Type.Union([...PERMISSIONS.map((p) => Type.Literal(p)), Type.Literal('*')]);

/** role → permissions. Role names follow ROLE_NAME_PATTERN; any other key is refused (not silently accepted). */
export const GrantsSchema = Type.Record(Type.String({ pattern: ROLE_NAME_PATTERN }), Type.Array(PermissionName, { uniqueItems: true, maxItems: 64 }), {
  additionalProperties: false,
  maxProperties: 100,
});

export const PutChannelTypeBody = Strict({
  config: Type.Optional(ChannelTypeConfigPatch),
  grants: Type.Optional(GrantsSchema),
});
export type PutChannelTypeBody = Static<typeof PutChannelTypeBody>;

export const ChannelTypeName = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' });

export const ChannelTypeSchema = Type.Object(
  {
    name: Type.String(),
    builtin: Type.Boolean(),
    config: Type.Record(Type.String(), Type.Unknown()),
    grants: Type.Record(Type.String(), Type.Array(Type.String())),
  },
  { $id: 'ChannelType' },
);
export const ChannelTypeResponse = Type.Object({ channel_type: ChannelTypeSchema });
export const ChannelTypeList = Type.Object({ channel_types: Type.Array(ChannelTypeSchema) });
