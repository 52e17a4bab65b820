-- Ids of hard-deleted users: a still-valid token must not bring the user back by auto-creation.
-- Upserting the id again (server token) is the explicit way to re-create it.
create table deleted_users (
  app_id text not null references apps (app_id) on delete cascade,
  id text not null,
  deleted_at timestamptz not null default now(),
  primary key (app_id, id)
);
