-- The channel's seq when a member joined: /v1/sync returns a member the channel events after it.
-- (Comparing the event's time with the join time missed events of writes that started before the
-- join but took the channel lock after it.) Null for members from before this migration: those
-- keep the time comparison.
alter table channel_members add column joined_seq bigint;
