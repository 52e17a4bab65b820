-- Platform: apps (tenants), their keys, users, channel type overrides.
-- Every table carries app_id; every key and index starts with it.

create table apps (
  app_id text primary key,
  name text not null,
  settings jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- key_id is "<app_id>_<random>", so a token's kid names its app without a global index.
create table app_keys (
  app_id text not null references apps (app_id) on delete cascade,
  key_id text not null,
  secret text not null,
  created_at timestamptz not null default now(),
  primary key (app_id, key_id)
);

create table users (
  app_id text not null references apps (app_id) on delete cascade,
  id text not null,
  name text,
  image text,
  role text not null default 'user',
  custom jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deactivated_at timestamptz,
  deleted_at timestamptz,
  last_active_at timestamptz,
  primary key (app_id, id)
);
create index users_by_role on users (app_id, role, id);
create index users_by_name on users (app_id, lower(name) text_pattern_ops, id);
create index users_by_created on users (app_id, created_at, id);

-- Only what an app changed is stored; the effective type is built-in defaults + these overrides.
create table channel_types (
  app_id text not null references apps (app_id) on delete cascade,
  name text not null,
  config jsonb not null default '{}',
  grants jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (app_id, name)
);
