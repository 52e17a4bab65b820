/**
 * Channel bans (docs/subsystems/moderation.md).
 * - Hard: the user leaves the channel now (their subscriptions end within a second, like a
 *   removal) and cannot join or be added again until the ban is lifted or expires.
 * - Shadow: the user stays and notices nothing; what they send from then on is stored as
 *   `shadowed` and shown to them alone (reads, events, sync, recovery, unread counts).
 */
import type { Ban, BanBody, BanListQuery } from '@parley/protocol';
import type pg from 'pg';
import { ACTIVE_BAN } from '../db/bans.js';
import { findMember, nextSeq } from '../db/channels.js';
import { notFound, permissionDenied, validationError } from '../errors.js';
import { now, userRef, type EventBatch } from '../events/event-log.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { decodeCursor, encodeCursor } from '../util/cursor.js';
import { accessChannel, requirePermission, type ChannelContext } from './access.js';
import { writeChannel } from './channel-write.js';
import { deleteMembers } from './members.js';

interface BanRow {
  type: string;
  channel_id: string;
  user_id: string;
  user_name: string | null;
  user_image: string | null;
  shadow: boolean;
  reason: string | null;
  banned_by: string | null;
  expires_at: Date | null;
  created_at: Date;
}

function toBan(row: BanRow): Ban {
  return {
    cid: `${row.type}:${row.channel_id}`,
    user: { id: row.user_id, name: row.user_name, image: row.user_image },
    shadow: row.shadow,
    reason: row.reason,
    banned_by: row.banned_by,
    expires_at: row.expires_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}

const isAppAdmin = (context: ChannelContext) => context.server || context.actor.appRole === 'admin';

export async function doBanUser(services: Services, auth: AppAuth, type: string, id: string, body: BanBody): Promise<{ ban: Ban }> {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    requirePermission(context, 'ban_user');
    if (body.user_id === context.userId) throw validationError('user_id', 'you cannot ban yourself');
    const target = await findMember(tx, context.appId, type, id, body.user_id);
    // A channel's owner answers to the app, not to the channel's moderators.
    if (target?.role === 'owner' && !isAppAdmin(context)) throw permissionDenied('only an app admin may ban the channel owner');
    const user = await tx.query<{ name: string | null; image: string | null; role: string }>('select name, image, role from users where app_id = $1 and id = $2', [context.appId, body.user_id]);
    if (!user.rows[0]) throw notFound('user');
    if (user.rows[0].role === 'admin' && !isAppAdmin(context)) throw permissionDenied('only an app admin may ban an app admin');
    const saved = await tx.query<BanRow>(
      `insert into channel_bans (app_id, type, channel_id, user_id, shadow, reason, banned_by, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, case when $8::int is null then null else now() + make_interval(secs => $8::int) end)
       on conflict (app_id, type, channel_id, user_id) do update set shadow = excluded.shadow, reason = excluded.reason,
         banned_by = excluded.banned_by, expires_at = excluded.expires_at, created_at = now()
       returning type, channel_id, user_id, shadow, reason, banned_by, expires_at, created_at`,
      [context.appId, type, id, body.user_id, body.shadow === true, body.reason ?? null, context.userId, body.timeout ?? null],
    );
    const ban = toBan({ ...saved.rows[0]!, user_name: user.rows[0].name, user_image: user.rows[0].image });
    // A shadow ban is told to no one: the point is that the user does not find out.
    if (!ban.shadow) {
      await announce(tx, context, events, auth, 'user.banned', ban);
      if (target) await deleteMembers(tx, context, events, auth, [body.user_id]);
    }
    return { ban };
  });
}

export async function doUnbanUser(services: Services, auth: AppAuth, type: string, id: string, userId: string): Promise<{ ban: Ban }> {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    requirePermission(context, 'ban_user');
    const deleted = await tx.query<BanRow>(
      `with gone as (delete from channel_bans b where b.app_id = $1 and b.type = $2 and b.channel_id = $3 and b.user_id = $4 and ${ACTIVE_BAN} returning b.*)
       select g.*, u.name as user_name, u.image as user_image from gone g left join users u on u.app_id = g.app_id and u.id = g.user_id`,
      [context.appId, type, id, userId],
    );
    if (!deleted.rows[0]) throw notFound('ban');
    const ban = toBan(deleted.rows[0]);
    if (!ban.shadow) await announce(tx, context, events, auth, 'user.unbanned', ban);
    return { ban };
  });
}

/** Active bans of a channel, by user id, for those who may ban. */
export async function doListBans(services: Services, auth: AppAuth, type: string, id: string, query: BanListQuery): Promise<{ bans: Ban[]; next: string | null }> {
  const context = await accessChannel(services, services.pool, auth, type, id);
  requirePermission(context, 'ban_user');
  const limit = query.limit ?? 100;
  const after = query.next ? decodeCursor<string>(query.next, 'next') : '';
  const result = await services.pool.query<BanRow>(
    `select b.*, u.name as user_name, u.image as user_image from channel_bans b left join users u on u.app_id = b.app_id and u.id = b.user_id
     where b.app_id = $1 and b.type = $2 and b.channel_id = $3 and b.user_id > $4 and ${ACTIVE_BAN} order by b.user_id limit $5`,
    [context.appId, type, id, typeof after === 'string' ? after : '', limit + 1],
  );
  const rows = result.rows.slice(0, limit);
  const next = result.rows.length > limit ? encodeCursor(rows[rows.length - 1]!.user_id) : null;
  return { bans: rows.map(toBan), next };
}

/**
 * user.banned / user.unbanned: on the channel (its watchers, in seq order) and to the user
 * themselves (who is no longer a member, so would not see the channel event).
 */
async function announce(tx: pg.PoolClient, context: ChannelContext, events: EventBatch, auth: AppAuth, type: 'user.banned' | 'user.unbanned', ban: Ban) {
  const { appId, channel } = context;
  const event = { type, created_at: now(), user: auth.user ? userRef(auth.user) : null, target_user: ban.user, reason: ban.reason, expires_at: ban.expires_at };
  const seq = await nextSeq(tx, appId, channel.type, channel.id);
  await events.channelEvent(tx, channel.type, channel.id, seq, event);
  await events.userEvent(tx, ban.user.id, { ...event, cid: `${channel.type}:${channel.id}` });
}
