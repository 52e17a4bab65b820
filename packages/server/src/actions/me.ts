/** GET /v1/me: own user, unread totals and blocks in one round trip (it is called on every app start). */
import type { Queryable } from '../db/pool.js';
import { unreadCountsSql } from './channel-state.js';

export interface MeExtras {
  total_unread_count: number;
  unread_channels: number;
  blocks: Array<{ user_id: string; created_at: string }>;
}

export async function loadMeExtras(db: Queryable, appId: string, userId: string): Promise<MeExtras> {
  // A named (prepared) statement: planned once per connection, not on every call. The totals sum
  // the per-channel counts of `unreadCounts` (same statement, without mentions).
  const result = await db.query<{ total: number; channels: number; blocks: Array<{ user_id: string; created_at: string }> }>({
    name: 'me-extras',
    text: `select coalesce(sum(u.unread), 0)::int as total, count(*) filter (where u.unread > 0)::int as channels,
       coalesce((select json_agg(json_build_object('user_id', b.blocked_user_id, 'created_at', b.created_at) order by b.created_at, b.blocked_user_id)
                 from user_blocks b where b.app_id = $1 and b.user_id = $2), '[]') as blocks
     from (${unreadCountsSql({ listed: false, mentions: false })}) u`,
    values: [appId, userId],
  });
  const row = result.rows[0]!;
  return {
    total_unread_count: row.total,
    unread_channels: row.channels,
    blocks: row.blocks.map((b) => ({ user_id: b.user_id, created_at: new Date(b.created_at).toISOString() })),
  };
}
