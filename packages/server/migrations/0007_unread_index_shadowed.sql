-- Shadowed messages (0006) never count as unread; the unread condition says so, and the partial
-- index must too, or PostgreSQL cannot answer the count from the index alone (it would visit
-- every row to check `shadowed`: twice the buffers per count).
drop index if exists messages_unread;
create index messages_unread on messages (app_id, type, channel_id, seq) include (user_id)
  where deleted_at is null and (parent_id is null or show_in_channel) and kind <> 'system' and not shadowed;
