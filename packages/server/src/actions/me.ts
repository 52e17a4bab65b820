/** GET /v1/me: own user, unread totals and blocks in one round trip (it is called on every app start). */
import { UNREAD_CONDITION } from '../db/channels.js';
import type { Queryable } from '../db/pool.js';

export interface MeExtras {
  total_unread_count: number;
  unread_channels: number;
  blocks: Array<{ user_id: string; created_at: string }>;
}

export async function loadMeExtras(db: Queryable, appId: string, userId: string): Promise<MeExtras> {
  // A named (prepared) statement: planned once per connection, not on every call.
  const result = await db.query<{ total: number; channels: number; blocks: Array<{ user_id: string; created_at: string }> }>({
    name: 'me-extras',
    text: `select coalesce(sum(u.n), 0)::int as total, count(*) filter (where u.n > 0)::int as channels,
       coalesce((select json_agg(json_build_object('user_id', b.blocked_user_id, 'created_at', b.created_at) order by b.created_at, b.blocked_user_id)
                 from user_blocks b where b.app_id = $1 and b.user_id = $2), '[]') as blocks
     from (select (select count(*) from messages msg where ${UNREAD_CONDITION}) as n
           from channel_members cm join channels c on c.app_id = cm.app_id and c.type = cm.type and c.id = cm.channel_id
           where cm.app_id = $1 and cm.user_id = $2 and c.deleted_at is null and cm.last_read_seq < c.last_seq) u`,
    values: [appId, userId],
  });
  const row = result.rows[0]!;
  return {
    total_unread_count: row.total,
    unread_channels: row.channels,
    blocks: row.blocks.map((b) => ({ user_id: b.user_id, created_at: new Date(b.created_at).toISOString() })),
  };
}
