import { Type, type Static } from '@sinclair/typebox';
import { Strict, Id, Timestamp, NullableTimestamp, Custom, Limit, Cursor, Nullable, SortDirection } from './common.js';
import { ChannelTypeName } from './channel-types.js';
import { RoleName } from './apps.js';
import { Message } from './messages.js';

export const UserRef = Type.Object({ id: Type.String(), name: Nullable(Type.String()), image: Nullable(Type.String()) });
export type UserRef = Static<typeof UserRef>;

export const Channel = Type.Object(
  {
    cid: Type.String(),
    type: Type.String(),
    id: Type.String(),
    name: Nullable(Type.String()),
    image: Nullable(Type.String()),
    custom: Custom,
    created_by: Nullable(Type.String()),
    distinct: Type.Boolean(),
    frozen: Type.Boolean(),
    member_count: Type.Integer(),
    last_message_at: NullableTimestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
    deleted_at: NullableTimestamp,
    truncated_seq: Type.Integer(),
  },

);
export type Channel = Static<typeof Channel>;

export const Member = Type.Object(
  {
    user_id: Type.String(),
    user: UserRef,
    role: Type.String(),
    banned: Type.Boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },

);
export type Member = Static<typeof Member>;

export const Membership = Type.Object({
  ...Member.properties,
  starred: Type.Boolean(),
  archived: Type.Boolean(),
  hidden: Type.Boolean(),
  muted_until: NullableTimestamp,
  notifications: Type.String(),
  last_read_seq: Type.Integer(),
  last_read_at: NullableTimestamp,
  last_delivered_seq: Type.Integer(),
});
export type Membership = Static<typeof Membership>;

export const ReadState = Type.Object({
  user_id: Type.String(),
  last_read_seq: Type.Integer(),
  last_read_at: NullableTimestamp,
  last_delivered_seq: Type.Integer(),
});
export type ReadState = Static<typeof ReadState>;

export const ChannelState = Type.Object(
  {
    channel: Channel,
    members: Type.Array(Member),
    member_count: Type.Integer(),
    messages: Type.Array(Message),
    has_more_before: Type.Boolean(),
    has_more_after: Type.Boolean(),
    pinned_messages: Type.Array(Message),
    membership: Nullable(Membership),
    read: Type.Array(ReadState),
    unread_count: Type.Integer(),
    unread_mentions: Type.Integer(),
    cursor: Type.String(),
  },

);
export type ChannelState = Static<typeof ChannelState>;

export const CreateChannelBody = Strict({
  type: ChannelTypeName,
  id: Type.Optional(Id),
  members: Type.Optional(Type.Array(Id, { maxItems: 100, uniqueItems: true })),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  image: Type.Optional(Type.String({ maxLength: 2048 })),
  custom: Type.Optional(Custom),
  message_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 200 })),
  member_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 200 })),
});
export type CreateChannelBody = Static<typeof CreateChannelBody>;

export const ChannelSort = Type.Array(Strict({ field: Type.String({ maxLength: 64 }), direction: SortDirection }), { maxItems: 3 });

export const QueryChannelsBody = Strict({
  filter: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  sort: Type.Optional(ChannelSort),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
  message_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 200 })),
  member_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 200 })),
});
export type QueryChannelsBody = Static<typeof QueryChannelsBody>;
export const QueryChannelsResponse = Type.Object({ channels: Type.Array(ChannelState), next: Nullable(Type.String()) });

const Seq = Type.Integer({ minimum: 0 });

export const MessageWindowQuery = Strict({
  limit: Type.Optional(Limit),
  before_seq: Type.Optional(Seq),
  after_seq: Type.Optional(Seq),
  around_seq: Type.Optional(Seq),
  around_id: Type.Optional(Type.String({ format: 'uuid' })),
});
export type MessageWindowQuery = Static<typeof MessageWindowQuery>;

export const GetChannelQuery = Strict({
  message_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 200 })),
  member_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 200 })),
  before_seq: Type.Optional(Seq),
  after_seq: Type.Optional(Seq),
  around_seq: Type.Optional(Seq),
  around_id: Type.Optional(Type.String({ format: 'uuid' })),
});
export type GetChannelQuery = Static<typeof GetChannelQuery>;

export const ChannelParams = Type.Object({ type: ChannelTypeName, id: Id });

export const UpdateChannelBody = Strict({
  set: Type.Optional(
    Strict({
      name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
      image: Type.Optional(Nullable(Type.String({ maxLength: 2048 }))),
      custom: Type.Optional(Custom),
      frozen: Type.Optional(Type.Boolean()),
    }),
  ),
  unset: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50, uniqueItems: true })),
});
export type UpdateChannelBody = Static<typeof UpdateChannelBody>;

export const AddMembersBody = Strict({ user_ids: Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true }), role: Type.Optional(RoleName) });
export type AddMembersBody = Static<typeof AddMembersBody>;
export const RemoveMembersBody = Strict({ user_ids: Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true }) });
export type RemoveMembersBody = Static<typeof RemoveMembersBody>;
export const UpdateMemberBody = Strict({ role: RoleName });
export type UpdateMemberBody = Static<typeof UpdateMemberBody>;
export const MemberParams = Type.Object({ type: ChannelTypeName, id: Id, user_id: Id });

export const UpdateMembershipBody = Strict({
  starred: Type.Optional(Type.Boolean()),
  archived: Type.Optional(Type.Boolean()),
  hidden: Type.Optional(Type.Boolean()),
  muted_until: Type.Optional(NullableTimestamp),
  notifications: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('mentions'), Type.Literal('none')])),
});
export type UpdateMembershipBody = Static<typeof UpdateMembershipBody>;

export const MarkReadBody = Strict({ seq: Type.Optional(Seq), message_id: Type.Optional(Type.String({ format: 'uuid' })) });
export type MarkReadBody = Static<typeof MarkReadBody>;
export const MarkDeliveredBody = Strict({ seq: Seq });
export type MarkDeliveredBody = Static<typeof MarkDeliveredBody>;
export const TypingBody = Strict({ state: Type.Union([Type.Literal('start'), Type.Literal('stop')]), parent_id: Type.Optional(Type.String({ format: 'uuid' })) });
export type TypingBody = Static<typeof TypingBody>;

export const ChannelResponse = Type.Object({ channel: Channel });
export const MembersResponse = Type.Object({ members: Type.Array(Member), member_count: Type.Integer() });
export const MembershipResponse = Type.Object({ membership: Membership });
export const ReadResponse = Type.Object({ read: ReadState });
/** POST .../delivered (and the `mark_delivered` rpc). */
export const ReadResult = Type.Object({ read: Type.Object({ user_id: Type.String(), last_read_seq: Type.Integer(), last_read_at: Type.Union([Type.String(), Type.Null()]), last_delivered_seq: Type.Integer() }) });
/** POST .../read (and the `mark_read` rpc). */
export const MarkReadResult = Type.Object({ ...ReadResult.properties, unread_count: Type.Integer(), unread_mentions: Type.Integer() });
