-- Unread counts scan the messages after a member's read pointer that count as unread. This
-- partial index holds exactly those rows (with the author, to skip one's own), so the count is
-- answered from the index (bench/experiments/read-paths.mjs: /v1/me/unread p50 13.4 → 7.1 ms).
create index messages_unread on messages (app_id, type, channel_id, seq) include (user_id)
  where deleted_at is null and (parent_id is null or show_in_channel) and kind <> 'system';
