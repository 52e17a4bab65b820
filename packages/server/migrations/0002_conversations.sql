-- Conversations: channels, members, messages, reactions, per-user flags, blocks, and the event log.
-- Every table carries app_id; every key and index starts with it.

create table channels (
  app_id text not null references apps (app_id) on delete cascade,
  type text not null,
  id text not null,
  name text,
  image text,
  custom jsonb not null default '{}',
  created_by text,
  -- true for get-or-create by member set (DMs, group DMs): id derived from the sorted members
  is_distinct boolean not null default false,
  frozen boolean not null default false,
  -- the channel's event counter: every event takes the next value (messages included)
  last_seq bigint not null default 0,
  last_message_at timestamptz,
  member_count integer not null default 0,
  -- messages with seq <= truncated_seq are gone from reads
  truncated_seq bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  primary key (app_id, type, id)
);
create index channels_by_last_message on channels (app_id, last_message_at desc nulls last);

create table channel_members (
  app_id text not null,
  type text not null,
  channel_id text not null,
  user_id text not null,
  role text not null default 'member',
  -- read state is pointer-based: see docs/subsystems/read-state.md
  last_read_seq bigint not null default 0,
  last_read_at timestamptz,
  last_delivered_seq bigint not null default 0,
  starred boolean not null default false,
  archived boolean not null default false,
  hidden boolean not null default false,
  muted_until timestamptz,
  notifications text not null default 'all',
  banned boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (app_id, type, channel_id, user_id),
  foreign key (app_id, type, channel_id) references channels (app_id, type, id) on delete cascade
);
create index channel_members_by_user on channel_members (app_id, user_id, type, channel_id);

create table messages (
  app_id text not null,
  id uuid not null,
  type text not null,
  channel_id text not null,
  seq bigint not null,
  user_id text,
  kind text not null default 'regular',
  text text not null default '',
  html text not null default '',
  attachments jsonb not null default '[]',
  custom jsonb not null default '{}',
  parent_id uuid,
  show_in_channel boolean not null default false,
  quoted_message_id uuid,
  mentioned_user_ids text[] not null default '{}',
  reply_count integer not null default 0,
  thread_participants text[] not null default '{}',
  last_reply_at timestamptz,
  reaction_counts jsonb not null default '{}',
  reaction_scores jsonb not null default '{}',
  pinned_at timestamptz,
  pinned_by text,
  pin_expires_at timestamptz,
  silent boolean not null default false,
  client_msg_id text,
  request_hash text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  primary key (app_id, id),
  foreign key (app_id, type, channel_id) references channels (app_id, type, id) on delete cascade
);
create unique index messages_by_seq on messages (app_id, type, channel_id, seq);
create unique index messages_idempotency on messages (app_id, user_id, client_msg_id) where client_msg_id is not null;
create index messages_thread on messages (app_id, parent_id, seq) where parent_id is not null;
create index messages_pinned on messages (app_id, type, channel_id, pinned_at) where pinned_at is not null;

-- Earlier versions of edited messages (GET /v1/messages/{id}/history); kept for audit.
create table message_versions (
  app_id text not null,
  message_id uuid not null,
  version integer not null,
  text text not null,
  attachments jsonb not null,
  custom jsonb not null,
  created_at timestamptz not null,
  primary key (app_id, message_id, version)
);

create table reactions (
  app_id text not null,
  message_id uuid not null,
  user_id text not null,
  kind text not null,
  score integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (app_id, message_id, user_id, kind)
);
create index reactions_latest on reactions (app_id, message_id, created_at desc);

-- Sparse per-user message flags (Zulip's UserMessage idea without a row per member per message).
create table user_message_flags (
  app_id text not null,
  user_id text not null,
  message_id uuid not null,
  type text not null,
  channel_id text not null,
  seq bigint not null,
  mentioned boolean not null default false,
  starred boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (app_id, user_id, message_id)
);
create index user_flags_mentions on user_message_flags (app_id, user_id, type, channel_id, seq) where mentioned;
create index user_flags_starred on user_message_flags (app_id, user_id, created_at desc) where starred;

create table user_blocks (
  app_id text not null,
  user_id text not null,
  blocked_user_id text not null,
  created_at timestamptz not null default now(),
  primary key (app_id, user_id, blocked_user_id)
);
create index user_blocks_reverse on user_blocks (app_id, blocked_user_id, user_id);

-- The event log. Every mutation appends here in its own transaction; /v1/sync reads it in
-- commit order using the transaction id and the snapshot's xmin (see docs/subsystems/events.md).
create table events (
  app_id text not null,
  event_id bigint generated always as identity,
  txid xid8 not null default pg_current_xact_id(),
  type text not null default '',
  channel_id text not null default '',
  seq bigint not null default 0,
  -- set for events meant for one user only (notification.removed_from_channel, mark-read echo)
  target_user_id text,
  event jsonb not null,
  created_at timestamptz not null default now(),
  primary key (app_id, event_id)
);
create index events_by_channel on events (app_id, type, channel_id, seq);
create index events_by_txid on events (app_id, txid, event_id);
create index events_by_target on events (app_id, target_user_id, txid, event_id) where target_user_id is not null;
create index events_by_time on events (app_id, created_at);
