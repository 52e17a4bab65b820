-- Channel bans (docs/subsystems/moderation.md). A hard ban removes the user from the channel and
-- keeps them out (no join, no re-add) until it is lifted or expires; a shadow ban keeps them in, and
-- stores their new messages as `shadowed`: visible to them only.
create table channel_bans (
  app_id text not null,
  type text not null,
  channel_id text not null,
  user_id text not null,
  shadow boolean not null default false,
  reason text,
  banned_by text,
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (app_id, type, channel_id, user_id),
  foreign key (app_id, type, channel_id) references channels (app_id, type, id) on delete cascade
);

alter table messages add column shadowed boolean not null default false;

-- A channel event only one user may see (events about a shadowed message: its author). Sync,
-- recovery and live delivery skip it for everyone else; the seq stays taken, so streams have a
-- hole there that clients treat like any other event they do not care about.
alter table events add column visible_to text;
