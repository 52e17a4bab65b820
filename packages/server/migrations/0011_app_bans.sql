-- App-wide bans (docs/subsystems/moderation.md "App-wide bans"): a hard-banned user keeps reading
-- but may not write anywhere in the app (USER_BANNED); a shadow-banned one writes into the shadow
-- in every channel. In force while banned_at is set and banned_until is null or ahead.
alter table users
  add column banned_at timestamptz,
  add column banned_until timestamptz,
  add column ban_shadow boolean not null default false,
  add column ban_reason text;
