/** Members: add, remove, leave, roles, and the caller's own membership flags. */
import type { AddMembersBody, Membership, UpdateMembershipBody } from '@parley/protocol';
import type pg from 'pg';
import { hardBanned } from '../db/bans.js';
import { findMember, nextSeq, toChannel, toMember, toMembership, toReadState, type ChannelRow, type MemberRow } from '../db/channels.js';
import type { Queryable } from '../db/pool.js';
import { ApiError, notFound, permissionDenied } from '../errors.js';
import { now, userRef, type EventBatch } from '../events/event-log.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { allowed, requirePermission, writerId, type ChannelContext } from './access.js';
import { writeChannel } from './channel-write.js';
import { appendSystemMessage } from './system-messages.js';

/**
 * Inserts members (creating placeholder users for unknown ids). New members start with their read
 * pointer at the channel's current seq: history from before they joined is not unread.
 * Returns the rows actually inserted.
 */
export async function insertMembers(tx: Queryable, appId: string, channel: ChannelRow, members: Array<{ userId: string; role: string }>): Promise<MemberRow[]> {
  if (members.length === 0) return [];
  const ids = members.map((m) => m.userId);
  await tx.query('insert into users (app_id, id) select $1, unnest($2::text[]) on conflict do nothing', [appId, ids]);
  const inserted = await tx.query<MemberRow>(
    `with added as (
       insert into channel_members (app_id, type, channel_id, user_id, role, last_read_seq, last_delivered_seq, joined_seq)
       select $1, $2, $3, m.user_id, m.role, c.last_seq, c.last_seq, c.last_seq
       from unnest($4::text[], $5::text[]) as m(user_id, role), channels c
       where c.app_id = $1 and c.type = $2 and c.id = $3
       on conflict do nothing returning *)
     select a.*, u.name as user_name, u.image as user_image from added a
     left join users u on u.app_id = a.app_id and u.id = a.user_id order by a.user_id`,
    [appId, channel.type, channel.id, ids, members.map((m) => m.role)],
  );
  await tx.query(
    `update channels set member_count = (select count(*) from channel_members where app_id = $1 and type = $2 and channel_id = $3)
     where app_id = $1 and type = $2 and id = $3`,
    [appId, channel.type, channel.id],
  );
  return inserted.rows;
}

async function memberCount(tx: Queryable, appId: string, type: string, id: string): Promise<number> {
  const result = await tx.query<{ member_count: number }>('select member_count from channels where app_id = $1 and type = $2 and id = $3', [appId, type, id]);
  return result.rows[0]!.member_count;
}

function displayName(user: { id: string; name?: string | null } | null | undefined): string {
  return user ? (user.name ?? user.id) : 'An admin';
}

async function emitMemberEvent(tx: pg.PoolClient, context: ChannelContext, events: EventBatch, auth: AppAuth, type: 'member.added' | 'member.updated' | 'member.removed', member: MemberRow, count: number) {
  const { channel } = context;
  const seq = await nextSeq(tx, context.appId, channel.type, channel.id);
  await events.channelEvent(tx, channel.type, channel.id, seq, {
    type,
    created_at: now(),
    user: auth.user ? userRef(auth.user) : null,
    member: toMember(member),
    // The member's read pointers, so watchers' read lists stay exact without a refetch.
    read: toReadState(member),
    member_count: count,
  });
}

export async function doAddMembers(services: Services, auth: AppAuth, type: string, id: string, body: AddMembersBody) {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    const self = context.userId;
    const joiningSelf = body.user_ids.length === 1 && body.user_ids[0] === self && !context.membership;
    if (joiningSelf) {
      if (!allowed(context, 'join_channel') && !allowed(context, 'add_members')) throw permissionDenied('missing permission join_channel');
    } else {
      requirePermission(context, 'add_members');
    }
    if (body.role && body.role !== 'member') requirePermission(context, 'update_member_roles');
    const max = context.channelType.config.max_members;
    const current = context.channel.member_count;
    const existing = await tx.query<{ user_id: string }>(
      'select user_id from channel_members where app_id = $1 and type = $2 and channel_id = $3 and user_id = any($4::text[])',
      [context.appId, type, id, body.user_ids],
    );
    const fresh = body.user_ids.filter((u) => !existing.rows.some((r) => r.user_id === u));
    const banned = await hardBanned(tx, context.appId, type, id, fresh);
    if (banned.length > 0) {
      throw new ApiError('USER_BANNED', joiningSelf ? 'you are banned from this channel' : `banned from this channel: ${banned.join(', ')}`, { user_ids: banned });
    }
    if (max !== null && current + fresh.length > max) throw new ApiError('TOO_MANY_MEMBERS', `a ${type} channel has at most ${max} members`, { max_members: max });
    const added = await insertMembers(tx, context.appId, context.channel, fresh.map((userId) => ({ userId, role: body.role ?? 'member' })));
    if (added.length > 0) await tx.query('update channels set is_distinct = false where app_id = $1 and type = $2 and id = $3', [context.appId, type, id]);
    const count = await memberCount(tx, context.appId, type, id);
    const channelRow = { ...context.channel, member_count: count };
    for (const member of added) {
      await emitMemberEvent(tx, context, events, auth, 'member.added', member, count);
      if (member.user_id !== self) {
        await events.userEvent(tx, member.user_id, { type: 'notification.added_to_channel', created_at: now(), cid: `${type}:${id}`, channel: toChannel(channelRow), user: auth.user ? userRef(auth.user) : null });
      }
    }
    if (added.length > 0) {
      const names = added.map((m) => m.user_name ?? m.user_id).join(', ');
      await appendSystemMessage(tx, context, events, joiningSelf ? `${names} joined` : `${displayName(auth.user)} added ${names}`);
    }
    return { members: added.map(toMember), member_count: count };
  });
}

/**
 * Deletes memberships and tells everyone: member.removed on the channel, and each removed user
 * their notification.removed_from_channel (which also ends their live subscription).
 * Returns the removed members (with names) and the members left.
 */
export async function deleteMembers(tx: pg.PoolClient, context: ChannelContext, events: EventBatch, auth: AppAuth, userIds: string[]) {
  const { appId, channel } = context;
  const removed = (
    await tx.query<MemberRow>(
      `with gone as (delete from channel_members where app_id = $1 and type = $2 and channel_id = $3 and user_id = any($4::text[]) returning *)
       select g.*, u.name as user_name, u.image as user_image from gone g left join users u on u.app_id = g.app_id and u.id = g.user_id order by g.user_id`,
      [appId, channel.type, channel.id, userIds],
    )
  ).rows;
  const remaining = context.channel.member_count - removed.length;
  if (removed.length === 0) return { removed, remaining };
  await tx.query('update channels set member_count = $4, is_distinct = false where app_id = $1 and type = $2 and id = $3', [appId, channel.type, channel.id, remaining]);
  for (const member of removed) {
    await emitMemberEvent(tx, context, events, auth, 'member.removed', member, remaining);
    await events.userEvent(tx, member.user_id, { type: 'notification.removed_from_channel', created_at: now(), cid: `${channel.type}:${channel.id}`, user: auth.user ? userRef(auth.user) : null });
  }
  return { removed, remaining };
}

export async function doRemoveMembers(services: Services, auth: AppAuth, type: string, id: string, userIds: string[]) {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    const leaving = userIds.length === 1 && userIds[0] === context.userId;
    requirePermission(context, leaving ? 'leave_channel' : 'remove_members');
    const { removed, remaining } = await deleteMembers(tx, context, events, auth, userIds);
    const min = context.channelType.config.min_members;
    if (min !== null && removed.length > 0 && remaining < min && !leaving) {
      throw new ApiError('TOO_FEW_MEMBERS', `a ${type} channel needs at least ${min} members`, { min_members: min });
    }
    if (removed.length > 0) {
      const names = removed.map((m) => m.user_name ?? m.user_id).join(', ');
      await appendSystemMessage(tx, context, events, leaving ? `${names} left` : `${displayName(auth.user)} removed ${names}`);
    }
    return { removed: removed.map((r) => r.user_id), member_count: remaining };
  });
}

export async function doUpdateMemberRole(services: Services, auth: AppAuth, type: string, id: string, userId: string, role: string) {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    requirePermission(context, 'update_member_roles');
    const target = await findMember(tx, context.appId, type, id, userId);
    if (!target) throw notFound('member');
    const updated = (
      await tx.query<MemberRow>(`update channel_members set role = $5, updated_at = now() where app_id = $1 and type = $2 and channel_id = $3 and user_id = $4 returning *`, [context.appId, type, id, userId, role])
    ).rows[0]!;
    const member = { ...updated, user_name: target.user_name, user_image: target.user_image };
    await emitMemberEvent(tx, context, events, auth, 'member.updated', member, context.channel.member_count);
    return { member: toMember(member) };
  });
}

/** Own flags: starred, archived, hidden, muted_until, notifications. Private: only the user is told. */
export async function doUpdateMembership(services: Services, auth: AppAuth, type: string, id: string, body: UpdateMembershipBody): Promise<Membership> {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    const userId = writerId(context);
    if (!context.membership) throw notFound('membership');
    const row = (
      await tx.query<MemberRow>(
        `update channel_members set
           starred = coalesce($5, starred), archived = coalesce($6, archived), hidden = coalesce($7, hidden),
           muted_until = case when $8 then $9::timestamptz else muted_until end,
           notifications = coalesce($10, notifications)
         where app_id = $1 and type = $2 and channel_id = $3 and user_id = $4 returning *`,
        [context.appId, type, id, userId, body.starred ?? null, body.archived ?? null, body.hidden ?? null, 'muted_until' in body, body.muted_until ?? null, body.notifications ?? null],
      )
    ).rows[0]!;
    const membership = toMembership({ ...row, user_name: context.membership.user_name, user_image: context.membership.user_image });
    const eventType = 'muted_until' in body || 'notifications' in body ? 'notification.mutes_updated' : 'notification.membership_updated';
    await events.userEvent(tx, userId, { type: eventType, created_at: now(), cid: `${type}:${id}`, membership });
    return membership;
  });
}
