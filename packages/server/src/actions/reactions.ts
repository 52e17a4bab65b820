/** Reactions: counts and scores recomputed from the reactions table under the channel lock, so they stay exact. */
import type { ReactionBody } from '@parley/protocol';
import type pg from 'pg';
import { nextSeq } from '../db/channels.js';
import { audienceOf, forEvent, loadMessage, toReaction } from '../db/messages.js';
import { notFound, permissionDenied } from '../errors.js';
import { now, userRef } from '../events/event-log.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { requireNotFrozen, requirePermission, writerId } from './access.js';
import { accessMessage, writeMessage } from './messages.js';
import { decodeCursor, encodeCursor } from '../util/cursor.js';

async function recount(tx: pg.PoolClient, appId: string, messageId: string): Promise<void> {
  await tx.query(
    `update messages set
       reaction_counts = coalesce((select jsonb_object_agg(kind, n) from (select kind, count(*) as n from reactions where app_id = $1 and message_id = $2 and not shadowed group by kind) c), '{}'),
       reaction_scores = coalesce((select jsonb_object_agg(kind, s) from (select kind, sum(score) as s from reactions where app_id = $1 and message_id = $2 and not shadowed group by kind) c), '{}'),
       hidden_reactions = exists (select 1 from reactions where app_id = $1 and message_id = $2 and shadowed),
       updated_at = now()
     where app_id = $1 and id = $2`,
    [appId, messageId],
  );
}

async function userReactions(tx: pg.PoolClient, appId: string, messageId: string, userId: string) {
  const rows = await tx.query(
    `select r.message_id, r.user_id, u.name, u.image, r.kind, r.score, r.created_at, r.updated_at from reactions r
     left join users u on u.app_id = r.app_id and u.id = r.user_id where r.app_id = $1 and r.message_id = $2 and r.user_id = $3 order by r.created_at`,
    [appId, messageId, userId],
  );
  return rows.rows.map(toReaction);
}

export async function doAddReaction(services: Services, auth: AppAuth, messageId: string, body: ReactionBody) {
  return writeMessage(services, auth, messageId, async (tx, context, row, events) => {
    const userId = writerId(context);
    requirePermission(context, 'react');
    requireNotFrozen(context);
    if (!context.channelType.config.reactions) throw permissionDenied('reactions are disabled for this channel type');
    if (row.deleted_at) throw notFound('message');
    let replaced = 0;
    if (body.enforce_unique) {
      replaced = (await tx.query('delete from reactions where app_id = $1 and message_id = $2 and user_id = $3 and kind <> $4', [context.appId, messageId, userId, body.type])).rowCount ?? 0;
    }
    // Under a shadow ban the reaction is the reactor's alone (moderation.md).
    const shadowed = context.ban === 'shadow';
    const upsert = await tx.query<{ inserted: boolean }>(
      `insert into reactions (app_id, message_id, user_id, kind, score, shadowed) values ($1, $2, $3, $4, $5, $6)
       on conflict (app_id, message_id, user_id, kind) do update set score = excluded.score, shadowed = excluded.shadowed, updated_at = now()
       returning (xmax = 0) as inserted`,
      [context.appId, messageId, userId, body.type, body.score ?? 1, shadowed],
    );
    await recount(tx, context.appId, messageId);
    const seq = await nextSeq(tx, context.appId, row.type, row.channel_id);
    const message = (await loadMessage(tx, context.appId, userId, messageId))!;
    const own = await userReactions(tx, context.appId, messageId, userId);
    const reaction = own.find((r) => r.type === body.type)!;
    const type = upsert.rows[0]!.inserted && replaced === 0 ? 'reaction.new' : 'reaction.updated';
    await events.channelEvent(tx, row.type, row.channel_id, seq, { type, created_at: now(), user: userRef(auth.user!), message: forEvent(message), reaction, user_reactions: own }, shadowed ? userId : audienceOf(row));
    return { message, reaction };
  });
}

export async function doDeleteReaction(services: Services, auth: AppAuth, messageId: string, kind: string) {
  return writeMessage(services, auth, messageId, async (tx, context, row, events) => {
    const userId = writerId(context);
    requirePermission(context, 'react');
    // Like adding one: a frozen channel's reactions stay as they are (moderators excepted).
    requireNotFrozen(context);
    const deleted = await tx.query(
      `delete from reactions r using users u where r.app_id = $1 and r.message_id = $2 and r.user_id = $3 and r.kind = $4
         and u.app_id = r.app_id and u.id = r.user_id
       returning r.message_id, r.user_id, u.name, u.image, r.kind, r.score, r.created_at, r.updated_at, r.shadowed`,
      [context.appId, messageId, userId, kind],
    );
    if (deleted.rowCount === 0) throw notFound('reaction');
    await recount(tx, context.appId, messageId);
    const seq = await nextSeq(tx, context.appId, row.type, row.channel_id);
    const message = (await loadMessage(tx, context.appId, userId, messageId))!;
    const reaction = toReaction(deleted.rows[0]);
    await events.channelEvent(tx, row.type, row.channel_id, seq, {
      type: 'reaction.deleted',
      created_at: now(),
      user: userRef(auth.user!),
      message: forEvent(message),
      reaction,
      user_reactions: await userReactions(tx, context.appId, messageId, userId),
    }, deleted.rows[0].shadowed ? userId : audienceOf(row));
    return { message, reaction };
  });
}

export async function doListReactions(services: Services, auth: AppAuth, messageId: string, limit = 50, cursor?: string) {
  await accessMessage(services, services.pool, auth, messageId);
  const after = cursor ? decodeCursor<[string, string, string]>(cursor) : null;
  const rows = await services.pool.query(
    `select r.message_id, r.user_id, u.name, u.image, r.kind, r.score, r.created_at::text as created_at, r.updated_at from reactions r
     left join users u on u.app_id = r.app_id and u.id = r.user_id
     where r.app_id = $1 and r.message_id = $2 and (not r.shadowed or r.user_id = $7::text)
       and ($3::timestamptz is null or (r.created_at, r.user_id, r.kind) > ($3::timestamptz, $4, $5))
     order by r.created_at, r.user_id, r.kind limit $6`,
    [auth.appId, messageId, after?.[0] ?? null, after?.[1] ?? '', after?.[2] ?? '', limit + 1, auth.user?.id ?? null],
  );
  const page = rows.rows.slice(0, limit);
  const last = page[page.length - 1];
  return { reactions: page.map(toReaction), next: rows.rows.length > limit && last ? encodeCursor([last.created_at, last.user_id, last.kind]) : null };
}
