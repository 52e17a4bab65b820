/** Pins (shared, with expiry; pin_message) and stars (private per user), plus mention and star lists. */
import type { Message, PinBody } from '@parley/protocol';
import { nextSeq } from '../db/channels.js';
import { audienceOf, forEvent, loadMessage, queryMessages } from '../db/messages.js';
import { notFound, validationError } from '../errors.js';
import { now, userRef } from '../events/event-log.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { decodeCursor, encodeCursor } from '../util/cursor.js';
import { requirePermission, writerId } from './access.js';
import { accessMessage, writeMessage } from './messages.js';

export async function doPin(services: Services, auth: AppAuth, id: string, body: PinBody | undefined, pinned: boolean): Promise<Message> {
  return writeMessage(services, auth, id, async (tx, context, row, events) => {
    requirePermission(context, 'pin_message');
    if (row.deleted_at) throw notFound('message');
    const expires = body?.expires_at ?? null;
    if (pinned && expires && Date.parse(expires) <= Date.now()) throw validationError('expires_at', 'must be in the future');
    const seq = await nextSeq(tx, context.appId, row.type, row.channel_id);
    if (pinned) {
      await tx.query('update messages set pinned_at = now(), pinned_by = $3, pin_expires_at = $4, updated_at = now() where app_id = $1 and id = $2', [context.appId, id, context.userId, expires]);
    } else {
      await tx.query('update messages set pinned_at = null, pinned_by = null, pin_expires_at = null, updated_at = now() where app_id = $1 and id = $2', [context.appId, id]);
    }
    const message = (await loadMessage(tx, context.appId, context.userId, id))!;
    await events.channelEvent(tx, row.type, row.channel_id, seq, { type: 'message.updated', created_at: now(), user: auth.user ? userRef(auth.user) : null, message: forEvent(message) }, audienceOf(row));
    return message;
  });
}

export async function doStar(services: Services, auth: AppAuth, id: string, starred: boolean): Promise<Message> {
  const { context, row } = await accessMessage(services, services.pool, auth, id);
  const userId = writerId(context);
  if (row.deleted_at && starred) throw notFound('message');
  await services.pool.query(
    `insert into user_message_flags (app_id, user_id, message_id, type, channel_id, seq, starred) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (app_id, user_id, message_id) do update set starred = excluded.starred, created_at = case when excluded.starred then now() else user_message_flags.created_at end`,
    [auth.appId, userId, id, row.type, row.channel_id, row.seq, starred],
  );
  return (await loadMessage(services.pool, auth.appId, userId, id))!;
}

/** Starred or mentioning messages of the caller, newest first, in channels the caller still belongs to. */
export async function doFlaggedMessages(services: Services, auth: AppAuth, flag: 'starred' | 'mentioned', limit = 30, cursor?: string) {
  const userId = auth.user!.id;
  const after = cursor ? decodeCursor<[string, string]>(cursor) : null;
  // Starred: by when it was starred (the flag row's time, reset on each star); mentions: by when
  // the message was sent, so starring a mention does not move it to the top of the mentions.
  const at = flag === 'starred' ? 'f.created_at' : 'm.created_at';
  const flags = await services.pool.query<{ message_id: string; at: string }>(
    `select f.message_id, ${at}::text as at from user_message_flags f
     join channel_members cm on cm.app_id = f.app_id and cm.type = f.type and cm.channel_id = f.channel_id and cm.user_id = f.user_id
     join channels c on c.app_id = f.app_id and c.type = f.type and c.id = f.channel_id and c.deleted_at is null
     join messages m on m.app_id = f.app_id and m.id = f.message_id and m.deleted_at is null and m.seq > c.truncated_seq
     where f.app_id = $1 and f.user_id = $2 and f.${flag === 'starred' ? 'starred' : 'mentioned'}
       and ($3::timestamptz is null or (${at}, f.message_id::text) < ($3::timestamptz, $4))
     order by ${at} desc, f.message_id desc limit $5`,
    [auth.appId, userId, after?.[0] ?? null, after?.[1] ?? '', limit + 1],
  );
  const page = flags.rows.slice(0, limit);
  const loaded = await queryMessages(services.pool, auth.appId, userId, 'm.id = any($3::uuid[])', [page.map((f) => f.message_id)]);
  const byId = new Map(loaded.map((m) => [m.id, m]));
  const last = page[page.length - 1];
  return {
    messages: page.map((f) => byId.get(f.message_id)).filter((m): m is Message => m !== undefined),
    next: flags.rows.length > limit && last ? encodeCursor([last.at, last.message_id]) : null,
  };
}
