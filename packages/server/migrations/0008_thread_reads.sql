-- Per-thread read pointers (docs/subsystems/read-state.md "Threads"): one row per user and thread
-- they take part in (they replied, or the parent is theirs). Replies after the pointer that are not
-- theirs are the thread's unread replies in GET /v1/me/unread.
create table thread_reads (
  app_id text not null,
  user_id text not null,
  parent_id uuid not null,
  type text not null,
  channel_id text not null,
  last_read_seq bigint not null,
  last_read_at timestamptz,
  primary key (app_id, user_id, parent_id),
  foreign key (app_id, type, channel_id) references channels (app_id, type, id) on delete cascade
);
