/** Channel actions: get-or-create, get state, update, delete, truncate. See docs/subsystems/channels.md. */
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ChannelState, CreateChannelBody, GetChannelQuery, UpdateChannelBody } from '@parley/protocol';
import { can } from '@parley/protocol';
import { lockChannel } from '../db/channel-lock.js';
import { CHANNEL_COLUMNS, findChannel, nextSeq, toChannel, type ChannelRow } from '../db/channels.js';
import { loadMessage } from '../db/messages.js';
import { readSnapshot, transaction, type Queryable } from '../db/pool.js';
import { ApiError, notFound, permissionDenied, validationError } from '../errors.js';
import { EventBatch, now, userRef } from '../events/event-log.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { accessChannel, actorFor, channelTypeOf, requirePermission } from './access.js';
import { buildStates, currentSyncCursor, messageWindow } from './channel-state.js';
import { writeChannel } from './channel-write.js';
import { insertMembers } from './members.js';
import { appendSystemMessage } from './system-messages.js';

/** Distinct channels: the same member set, in any order, always names the same channel. */
export function distinctChannelId(members: string[]): string {
  const sorted = [...new Set(members)].sort();
  return '!members-' + createHash('sha256').update(sorted.join('\u0000')).digest('base64url').slice(0, 32);
}

/**
 * The id of the distinct channel of a member set. Adding or removing members makes a distinct
 * channel an ordinary group (is_distinct false) without changing its id, so the set then names the
 * next free id of its sequence: `<hash>`, `<hash>-1`, `<hash>-2`, ...
 */
async function distinctTarget(services: Services, appId: string, type: string, members: string[]): Promise<string> {
  const base = distinctChannelId(members);
  const taken = await services.pool.query<{ id: string; is_distinct: boolean; deleted_at: Date | null }>(
    `select id, is_distinct, deleted_at from channels where app_id = $1 and type = $2 and (id = $3 or id like $4)`,
    [appId, type, base, base.replace(/[\\%_]/g, (c) => '\\' + c) + '-%'],
  );
  const byId = new Map(taken.rows.map((r) => [r.id, r]));
  // The live distinct channel of the set if there is one, else the first deleted or unused id.
  let free: string | undefined;
  for (let k = 0; ; k++) {
    const id = k === 0 ? base : `${base}-${k}`;
    const row = byId.get(id);
    if (!row) return free ?? id;
    if (!row.deleted_at && row.is_distinct) return id;
    if (row.deleted_at) free ??= id;
  }
}

/** `db` should be a read snapshot (readSnapshot) in which `cursor` and `channel` were read. */
export async function channelState(db: Queryable, auth: AppAuth, channel: ChannelRow, query: GetChannelQuery, cursor?: string): Promise<ChannelState> {
  const viewer = auth.user?.id ?? null;
  const [state] = await buildStates(db, auth.appId, viewer, [channel], { messageLimit: 0, memberLimit: query.member_limit ?? 100, cursor });
  let aroundSeq = query.around_seq;
  if (query.around_id) {
    const target = await loadMessage(db, auth.appId, viewer, query.around_id);
    if (!target || target.cid !== `${channel.type}:${channel.id}`) throw notFound('message');
    aroundSeq = target.seq;
  }
  const window = await messageWindow(db, channel, viewer, {
    limit: query.message_limit ?? 50,
    before_seq: query.before_seq,
    after_seq: query.after_seq,
    around_seq: aroundSeq,
  });
  return { ...state!, ...window };
}

export async function doGetChannel(services: Services, auth: AppAuth, type: string, id: string, query: GetChannelQuery): Promise<ChannelState> {
  return readSnapshot(services.pool, async (db) => {
    const cursor = await currentSyncCursor(db);
    const context = await accessChannel(services, db, auth, type, id);
    if (query.message_limit === 0) {
      const [state] = await buildStates(db, auth.appId, context.userId, [context.channel], { messageLimit: 0, memberLimit: query.member_limit ?? 100, cursor });
      return state!;
    }
    return channelState(db, auth, context.channel, query, cursor);
  });
}

/** POST /v1/channels: returns the existing channel or creates it (concurrent creators get one channel). */
export async function doGetOrCreateChannel(services: Services, auth: AppAuth, body: CreateChannelBody): Promise<{ state: ChannelState; created: boolean }> {
  const creator = auth.user?.id ?? null;
  const channelType = await channelTypeOf(services, services.pool, auth.appId, body.type);
  let members = body.members ? [...new Set(body.members)] : [];
  if (creator && members.length > 0 && !members.includes(creator)) members = [creator, ...members];
  const distinct = body.id === undefined && members.length > 0;
  const id = body.id ?? (distinct ? await distinctTarget(services, auth.appId, body.type, members) : randomUUID());
  if (creator && members.length === 0) members = [creator];

  const cursor = await currentSyncCursor(services.pool);
  const existing = await findChannel(services.pool, auth.appId, body.type, id);
  if (existing) return { state: await openExisting(services, auth, body, existing), created: false };

  const actor = actorFor(auth, null);
  if (actor.banned) throw new ApiError('USER_BANNED', 'you are banned');
  if (!can(actor, 'create_channel', channelType)) throw permissionDenied('missing permission create_channel');
  const { min_members: min, max_members: max } = channelType.config;
  if (max !== null && members.length > max) throw new ApiError('TOO_MANY_MEMBERS', `a ${body.type} channel has at most ${max} members`, { max_members: max });
  if (min !== null && members.length < min) throw new ApiError('TOO_FEW_MEMBERS', `a ${body.type} channel needs at least ${min} members`, { min_members: min });

  const events = new EventBatch(auth.appId);
  const created = await transaction(services.pool, async (tx) => {
    await lockChannel(tx, auth.appId, body.type, id);
    const inserted = await tx.query<ChannelRow>(
      `insert into channels (app_id, type, id, name, image, custom, created_by, is_distinct, last_seq)
       values ($1, $2, $3, $4, $5, $6, $7, $8, 1) on conflict do nothing returning ${CHANNEL_COLUMNS}`,
      [auth.appId, body.type, id, body.name ?? null, body.image ?? null, body.custom ?? {}, creator, distinct],
    );
    let row: ChannelRow | undefined = inserted.rows[0];
    let seq = 1;
    if (!row) {
      // Either created concurrently (committed now that we hold the lock), or a soft-deleted
      // channel holds the id: get-or-create then makes a fresh channel in its place, with none of
      // the old members or history.
      row = await reviveDeleted(tx, auth.appId, body, id, creator, distinct);
      if (!row) return null;
      seq = row.last_seq;
    }
    const memberRows = await insertMembers(tx, auth.appId, row, members.map((userId) => ({ userId, role: userId === creator ? 'owner' : 'member' })));
    const channel = (await findChannel(tx, auth.appId, body.type, id))!;
    await events.channelEvent(tx, body.type, id, seq, {
      type: 'channel.created',
      created_at: now(),
      user: creator ? userRef(auth.user!) : null,
      channel: toChannel(channel),
    });
    for (const member of memberRows) {
      if (member.user_id === creator) continue;
      await events.userEvent(tx, member.user_id, { type: 'notification.added_to_channel', created_at: now(), cid: `${body.type}:${id}`, channel: toChannel(channel), user: creator ? userRef(auth.user!) : null });
    }
    return channel;
  });
  if (!created) {
    const row = (await findChannel(services.pool, auth.appId, body.type, id))!;
    return { state: await openExisting(services, auth, body, row), created: false };
  }
  await events.publish(services.broker);
  // The cursor from before the creation: a sync from it replays the creation (clients dedupe by seq).
  const state = await readSnapshot(services.pool, (db) => channelState(db, auth, created, { message_limit: body.message_limit, member_limit: body.member_limit }, cursor));
  return { state, created: true };
}

/**
 * Turns a soft-deleted channel row back into a new, empty channel (the id is taken by the row).
 * Everything up to its last seq stays truncated; its members and bans are gone. Undefined when the row is
 * not deleted (a concurrent create won).
 */
async function reviveDeleted(tx: pg.PoolClient, appId: string, body: CreateChannelBody, id: string, creator: string | null, distinct: boolean): Promise<ChannelRow | undefined> {
  const deleted = await tx.query('select 1 from channels where app_id = $1 and type = $2 and id = $3 and deleted_at is not null for update', [appId, body.type, id]);
  if (deleted.rowCount === 0) return undefined;
  await tx.query('delete from channel_members where app_id = $1 and type = $2 and channel_id = $3', [appId, body.type, id]);
  await tx.query('delete from channel_bans where app_id = $1 and type = $2 and channel_id = $3', [appId, body.type, id]);
  const revived = await tx.query<ChannelRow>(
    `update channels set name = $4, image = $5, custom = $6, created_by = $7, is_distinct = $8, frozen = false,
       truncated_seq = last_seq, last_seq = last_seq + 1, last_message_at = null, member_count = 0,
       created_at = now(), updated_at = now(), deleted_at = null
     where app_id = $1 and type = $2 and id = $3 returning ${CHANNEL_COLUMNS}`,
    [appId, body.type, id, body.name ?? null, body.image ?? null, body.custom ?? {}, creator, distinct],
  );
  return revived.rows[0];
}

async function openExisting(services: Services, auth: AppAuth, body: CreateChannelBody, row: ChannelRow): Promise<ChannelState> {
  return readSnapshot(services.pool, async (db) => {
    const cursor = await currentSyncCursor(db);
    const context = await accessChannel(services, db, auth, row.type, row.id);
    return channelState(db, auth, context.channel, { message_limit: body.message_limit, member_limit: body.member_limit }, cursor);
  });
}

/** PATCH: `set` name/image/custom (update_channel) and frozen (freeze_channel); `unset` removes fields or custom keys. */
export async function doUpdateChannel(services: Services, auth: AppAuth, type: string, id: string, body: UpdateChannelBody) {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    const set = body.set ?? {};
    const unset = body.unset ?? [];
    const touchesInfo = Object.keys(set).some((k) => k !== 'frozen') || unset.length > 0;
    // An empty update still bumps updated_at and tells every member: it needs update_channel too.
    if (touchesInfo || set.frozen === undefined) requirePermission(context, 'update_channel');
    if (set.frozen !== undefined) requirePermission(context, 'freeze_channel');
    for (const field of unset) if (field === 'frozen' || field === 'type' || field === 'id') throw validationError(`unset`, `cannot unset ${field}`);
    const before = context.channel;
    const name = 'name' in set ? (set.name ?? null) : unset.includes('name') ? null : before.name;
    const image = 'image' in set ? (set.image ?? null) : unset.includes('image') ? null : before.image;
    const custom = { ...before.custom, ...(set.custom ?? {}) };
    for (const field of unset) if (field !== 'name' && field !== 'image') delete custom[field.replace(/^custom\./, '')];
    const frozen = set.frozen ?? before.frozen;

    const seq = await nextSeq(tx, context.appId, type, id);
    const updated = (
      await tx.query<ChannelRow>(
        `update channels set name = $4, image = $5, custom = $6, frozen = $7, updated_at = now()
         where app_id = $1 and type = $2 and id = $3 returning ${CHANNEL_COLUMNS}`,
        [context.appId, type, id, name, image, custom, frozen],
      )
    ).rows[0]!;
    const actor = auth.user ? userRef(auth.user) : null;
    const frozenChanged = frozen !== before.frozen;
    const eventType = frozenChanged && !touchesInfo ? (frozen ? 'channel.frozen' : 'channel.unfrozen') : 'channel.updated';
    await events.channelEvent(tx, type, id, seq, { type: eventType, created_at: now(), user: actor, channel: toChannel(updated) });
    if (name !== before.name && name) {
      await appendSystemMessage(tx, context, events, `${auth.user?.name ?? auth.user?.id ?? 'An admin'} renamed the channel to ${name}`);
    }
    return (await findChannel(tx, context.appId, type, id))!;
  });
}

export async function doDeleteChannel(services: Services, auth: AppAuth, type: string, id: string) {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    requirePermission(context, 'delete_channel');
    const seq = await nextSeq(tx, context.appId, type, id);
    const deleted = (
      await tx.query<ChannelRow>(`update channels set deleted_at = now(), updated_at = now() where app_id = $1 and type = $2 and id = $3 returning ${CHANNEL_COLUMNS}`, [context.appId, type, id])
    ).rows[0]!;
    await events.channelEvent(tx, type, id, seq, { type: 'channel.deleted', created_at: now(), user: auth.user ? userRef(auth.user) : null, channel: toChannel(deleted) });
    return toChannel(deleted);
  });
}

/** Truncate: every message up to now disappears from reads for everyone (kept in the table for audit). */
export async function doTruncateChannel(services: Services, auth: AppAuth, type: string, id: string) {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    requirePermission(context, 'truncate_channel');
    const seq = await nextSeq(tx, context.appId, type, id);
    const truncated = (
      await tx.query<ChannelRow>(
        `update channels set truncated_seq = $4, last_message_at = null, updated_at = now() where app_id = $1 and type = $2 and id = $3 returning ${CHANNEL_COLUMNS}`,
        [context.appId, type, id, seq],
      )
    ).rows[0]!;
    await events.channelEvent(tx, type, id, seq, { type: 'channel.truncated', created_at: now(), user: auth.user ? userRef(auth.user) : null, channel: toChannel(truncated) });
    return toChannel(truncated);
  });
}
