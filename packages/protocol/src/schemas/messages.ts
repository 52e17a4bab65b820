import { Type, type Static } from '@sinclair/typebox';
import { Strict, Id, Timestamp, NullableTimestamp, Custom, Limit, Nullable } from './common.js';

export const MESSAGE_KINDS = ['regular', 'reply', 'system', 'deleted', 'error'] as const;
export const MAX_ATTACHMENTS = 10;

export const Attachment = Strict({
  type: Type.String({ minLength: 1, maxLength: 32, description: 'image, file, video, audio, link or custom' }),
  url: Type.Optional(Type.String({ maxLength: 4096 })),
  asset_url: Type.Optional(Type.String({ maxLength: 4096 })),
  thumb_url: Type.Optional(Type.String({ maxLength: 4096 })),
  title: Type.Optional(Type.String({ maxLength: 500 })),
  text: Type.Optional(Type.String({ maxLength: 5000 })),
  mime_type: Type.Optional(Type.String({ maxLength: 255 })),
  file_size: Type.Optional(Type.Integer({ minimum: 0 })),
  width: Type.Optional(Type.Integer({ minimum: 0 })),
  height: Type.Optional(Type.Integer({ minimum: 0 })),
  blurhash: Type.Optional(Type.String({ maxLength: 200 })),
  custom: Type.Optional(Custom),
});
export type Attachment = Static<typeof Attachment>;

const UserRefSchema = Type.Object({ id: Type.String(), name: Nullable(Type.String()), image: Nullable(Type.String()) });

export const Reaction = Type.Object({
  message_id: Type.String(),
  user_id: Type.String(),
  user: UserRefSchema,
  type: Type.String(),
  score: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Reaction = Static<typeof Reaction>;

export const QuotedMessage = Type.Object({
  id: Type.String(),
  type: Type.String(),
  text: Type.String(),
  html: Type.String(),
  user: Nullable(UserRefSchema),
  attachments: Type.Array(Type.Unknown()),
  created_at: Timestamp,
  deleted_at: NullableTimestamp,
});

export const Message = Type.Object(
  {
    id: Type.String(),
    cid: Type.String(),
    seq: Type.Integer(),
    user: Nullable(UserRefSchema),
    text: Type.String(),
    html: Type.String(),
    type: Type.String(),
    attachments: Type.Array(Type.Unknown()),
    parent_id: Nullable(Type.String()),
    show_in_channel: Type.Boolean(),
    reply_count: Type.Integer(),
    thread_participants: Type.Array(Type.String()),
    last_reply_at: NullableTimestamp,
    quoted_message_id: Nullable(Type.String()),
    quoted_message: Nullable(QuotedMessage),
    mentioned_users: Type.Array(UserRefSchema),
    reaction_counts: Type.Record(Type.String(), Type.Integer()),
    reaction_scores: Type.Record(Type.String(), Type.Integer()),
    latest_reactions: Type.Array(Reaction),
    own_reactions: Type.Array(Reaction),
    pinned: Type.Boolean(),
    pinned_at: NullableTimestamp,
    pinned_by: Nullable(Type.String()),
    pin_expires: NullableTimestamp,
    silent: Type.Boolean(),
    edited_at: NullableTimestamp,
    deleted_at: NullableTimestamp,
    client_msg_id: Nullable(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
    custom: Custom,
  },

);
export type Message = Static<typeof Message>;

export const SendMessageBody = Strict({
  client_msg_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  text: Type.Optional(Type.String({ maxLength: 100_000 })),
  attachments: Type.Optional(Type.Array(Attachment, { maxItems: 100 })),
  parent_id: Type.Optional(Type.String({ format: 'uuid' })),
  show_in_channel: Type.Optional(Type.Boolean()),
  quoted_message_id: Type.Optional(Type.String({ format: 'uuid' })),
  mentioned_user_ids: Type.Optional(Type.Array(Id, { maxItems: 100, uniqueItems: true })),
  custom: Type.Optional(Custom),
  silent: Type.Optional(Type.Boolean()),
});
export type SendMessageBody = Static<typeof SendMessageBody>;

export const UpdateMessageBody = Strict({
  text: Type.Optional(Type.String({ maxLength: 100_000 })),
  attachments: Type.Optional(Type.Array(Attachment, { maxItems: 100 })),
  custom: Type.Optional(Custom),
});
export type UpdateMessageBody = Static<typeof UpdateMessageBody>;

export const DeleteMessageQuery = Strict({ hard: Type.Optional(Type.Boolean()) });
export const MessageParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const MessageResponse = Type.Object({ message: Message });
export const MessagePage = Type.Object({ messages: Type.Array(Message), has_more_before: Type.Boolean(), has_more_after: Type.Boolean() });
export const MessageHistory = Type.Object({
  history: Type.Array(Type.Object({ version: Type.Integer(), text: Type.String(), attachments: Type.Array(Type.Unknown()), custom: Custom, created_at: Timestamp })),
});

export const ReactionBody = Strict({
  type: Type.String({ minLength: 1, maxLength: 32, pattern: '^[^\\s/]+$' }),
  score: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  enforce_unique: Type.Optional(Type.Boolean()),
});
export type ReactionBody = Static<typeof ReactionBody>;
export const ReactionParams = Type.Object({ id: Type.String({ format: 'uuid' }), type: Type.String({ minLength: 1, maxLength: 32 }) });
export const ReactionResponse = Type.Object({ message: Message, reaction: Type.Optional(Reaction) });
export const ReactionList = Type.Object({ reactions: Type.Array(Reaction), next: Nullable(Type.String()) });

export const PinBody = Strict({ expires_at: Type.Optional(NullableTimestamp) });
export type PinBody = Static<typeof PinBody>;

export const MessageReads = Type.Object({
  reads: Type.Array(Type.Object({ user_id: Type.String(), user: UserRefSchema, last_read_seq: Type.Integer(), last_read_at: NullableTimestamp })),
});

export const PageQuery = Strict({ limit: Type.Optional(Limit), cursor: Type.Optional(Type.String({ maxLength: 512 })) });
export type PageQuery = Static<typeof PageQuery>;

/** `POST /v1/messages/{id}/thread/read`: read the thread up to `seq` (default: its last reply). */
export const MarkThreadReadBody = Strict({ seq: Type.Optional(Type.Integer({ minimum: 0 })) });
export type MarkThreadReadBody = Static<typeof MarkThreadReadBody>;
export const ThreadUnread = Type.Object({ parent_id: Type.String(), cid: Type.String(), unread_replies: Type.Integer(), last_read_seq: Type.Integer() });
export type ThreadUnread = Static<typeof ThreadUnread>;
export const ThreadReadResponse = Type.Object({
  thread: Type.Object({ parent_id: Type.String(), cid: Type.String(), last_read_seq: Type.Integer(), last_read_at: NullableTimestamp, unread_replies: Type.Integer() }),
});
