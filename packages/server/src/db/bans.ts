/** Ban lookups shared by the ban actions and the member actions (see actions/bans.ts). */
import type { Queryable } from './pool.js';

/** A ban row `b` that is in force. */
export const ACTIVE_BAN = '(b.expires_at is null or b.expires_at > now())';

/** Of `userIds`, those under a hard ban in force in the channel (they may not join or be added). */
export async function hardBanned(db: Queryable, appId: string, type: string, channelId: string, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const result = await db.query<{ user_id: string }>(
    `select b.user_id from channel_bans b where b.app_id = $1 and b.type = $2 and b.channel_id = $3 and b.user_id = any($4::text[])
       and not b.shadow and ${ACTIVE_BAN} order by b.user_id`,
    [appId, type, channelId, userIds],
  );
  return result.rows.map((r) => r.user_id);
}
