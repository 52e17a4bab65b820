-- The presence status a user chose (docs/subsystems/presence.md). Whether they are online is not
-- stored: it is "has a connection", kept by the presence engine. `last_active_at` (0001) is their
-- last seen time, written when their last connection closes and every minute while connected.
alter table users add column presence_status text not null default 'online'
  check (presence_status in ('online', 'away', 'dnd', 'invisible'));
