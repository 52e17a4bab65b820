/** Message reads and changes after sending: list, get, edit (with history), delete, replies, reads. */
import type { Message, MessageWindowQuery, UpdateMessageBody } from '@parley/protocol';
import type pg from 'pg';
import { nextSeq } from '../db/channels.js';
import { audienceOf, forEvent, loadMessage, type MessageRow } from '../db/messages.js';
import type { Queryable } from '../db/pool.js';
import { ApiError, notFound, permissionDenied } from '../errors.js';
import { now, userRef, type EventBatch } from '../events/event-log.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { accessChannel, allowed, requireNotFrozen, requirePermission, type ChannelContext } from './access.js';
import { messageWindow } from './channel-state.js';
import { writeChannel } from './channel-write.js';
import { renderMarkdown } from './markdown.js';
import { remention } from './mentions.js';
import { validateContent } from './send-message.js';

/** Where a message lives, without any visibility check (callers then go through accessChannel). */
async function locate(db: Queryable, appId: string, id: string): Promise<{ type: string; channel_id: string } | undefined> {
  const result = await db.query<{ type: string; channel_id: string }>('select type, channel_id from messages where app_id = $1 and id = $2', [appId, id]);
  return result.rows[0];
}

async function messageRow(db: Queryable, context: ChannelContext, id: string): Promise<MessageRow> {
  // A shadowed message exists for its author only.
  const result = await db.query<MessageRow>(
    'select * from messages where app_id = $1 and id = $2 and seq > $3 and (not shadowed or user_id = $4::text)',
    [context.appId, id, context.channel.truncated_seq, context.userId],
  );
  const row = result.rows[0];
  if (!row) throw notFound('message');
  return row;
}

/** access* for messages: the message and its channel, if the caller may read the channel. */
export async function accessMessage(services: Services, db: Queryable, auth: AppAuth, id: string): Promise<{ context: ChannelContext; row: MessageRow }> {
  const where = await locate(db, auth.appId, id);
  if (!where) throw notFound('message');
  const context = await accessChannel(services, db, auth, where.type, where.channel_id);
  return { context, row: await messageRow(db, context, id) };
}

/** A write on a message: locks its channel, re-reads the row, runs `change`. */
export async function writeMessage<T>(
  services: Services,
  auth: AppAuth,
  id: string,
  change: (tx: pg.PoolClient, context: ChannelContext, row: MessageRow, events: EventBatch) => Promise<T>,
): Promise<T> {
  const where = await locate(services.pool, auth.appId, id);
  if (!where) throw notFound('message');
  return writeChannel(services, auth, where.type, where.channel_id, async (tx, context, events) => change(tx, context, await messageRow(tx, context, id), events));
}

export async function doListMessages(services: Services, auth: AppAuth, type: string, id: string, query: MessageWindowQuery) {
  const context = await accessChannel(services, services.pool, auth, type, id);
  let aroundSeq: number | undefined;
  if (query.around_id) {
    const row = await messageRow(services.pool, context, query.around_id);
    // Only a message of this channel: another channel's message must not answer (existence, seq).
    if (row.type !== type || row.channel_id !== id) throw notFound('message');
    aroundSeq = row.seq;
  } else aroundSeq = query.around_seq;
  return messageWindow(services.pool, context.channel, context.userId, { ...query, around_seq: aroundSeq });
}

export async function doGetMessage(services: Services, auth: AppAuth, id: string): Promise<Message> {
  const { context } = await accessMessage(services, services.pool, auth, id);
  return (await loadMessage(services.pool, auth.appId, context.userId, id))!;
}

export async function doListReplies(services: Services, auth: AppAuth, id: string, query: MessageWindowQuery) {
  const { context, row } = await accessMessage(services, services.pool, auth, id);
  return messageWindow(services.pool, context.channel, context.userId, query, row.id);
}

function isOwn(context: ChannelContext, row: MessageRow): boolean {
  return context.userId !== null && row.user_id === context.userId;
}

/** Edit: own messages within the type's edit window (edit_own_message), anyone's with edit_any_message. */
export async function doUpdateMessage(services: Services, auth: AppAuth, id: string, body: UpdateMessageBody): Promise<Message> {
  return writeMessage(services, auth, id, async (tx, context, row, events) => {
    if (row.deleted_at) throw notFound('message');
    const own = isOwn(context, row);
    if (!(own && allowed(context, 'edit_own_message')) && !allowed(context, 'edit_any_message')) {
      if (context.actor.banned) throw new ApiError('USER_BANNED', 'you are banned');
      throw permissionDenied('you may not edit this message');
    }
    requireNotFrozen(context);
    const window = context.channelType.config.edit_window_seconds;
    if (own && !allowed(context, 'edit_any_message') && window !== null && Date.now() - row.created_at.getTime() > window * 1000) {
      throw new ApiError('EDIT_WINDOW_EXPIRED', `messages can be edited for ${window} s after sending`, { edit_window_seconds: window });
    }
    const text = body.text ?? row.text;
    const attachments = body.attachments ?? (row.attachments as never[]);
    validateContent(text, attachments, context.channelType.config.max_message_length);
    const version = await tx.query<{ n: number }>('select coalesce(max(version), 0)::int + 1 as n from message_versions where app_id = $1 and message_id = $2', [context.appId, id]);
    await tx.query(
      'insert into message_versions (app_id, message_id, version, text, attachments, custom, created_at) values ($1, $2, $3, $4, $5, $6, $7)',
      [context.appId, id, version.rows[0]!.n, row.text, JSON.stringify(row.attachments), row.custom, row.edited_at ?? row.created_at],
    );
    const seq = await nextSeq(tx, context.appId, row.type, row.channel_id);
    // A shadow-banned author rewriting an earlier message would publish under the ban: the message
    // goes into the shadow with the edit (others keep what they saw until they reload).
    const shadowed = row.shadowed || (own && context.ban === 'shadow');
    await tx.query(
      `update messages set text = $3, html = $4, attachments = $5, custom = $6, shadowed = $7, edited_at = now(), updated_at = now() where app_id = $1 and id = $2`,
      [context.appId, id, text, renderMarkdown(text), JSON.stringify(attachments), body.custom ?? row.custom, shadowed],
    );
    if (body.text !== undefined) await remention(tx, context, row, text, shadowed);
    const message = (await loadMessage(tx, context.appId, context.userId, id))!;
    const update = { type: 'message.updated', created_at: now(), user: auth.user ? userRef(auth.user) : null, message: forEvent(message) };
    await events.channelEvent(tx, row.type, row.channel_id, seq, update, audienceOf({ shadowed, user_id: row.user_id }));
    return message;
  });
}

/**
 * Delete: soft (default) leaves a tombstone (type `deleted`, no text or attachments in any read or
 * event; the row keeps them for audit). Hard (`?hard=true`, delete_any_message) removes the row.
 */
export async function doDeleteMessage(services: Services, auth: AppAuth, id: string, hard: boolean): Promise<Message> {
  return writeMessage(services, auth, id, async (tx, context, row, events) => {
    const own = isOwn(context, row);
    if (hard) requirePermission(context, 'delete_any_message');
    else if (!(own && allowed(context, 'delete_own_message')) && !allowed(context, 'delete_any_message')) {
      if (context.actor.banned) throw new ApiError('USER_BANNED', 'you are banned');
      throw permissionDenied('you may not delete this message');
    }
    if (row.deleted_at && !hard) throw notFound('message');
    const seq = await nextSeq(tx, context.appId, row.type, row.channel_id);
    await tx.query('update messages set deleted_at = coalesce(deleted_at, now()), updated_at = now(), pinned_at = null, pinned_by = null, pin_expires_at = null where app_id = $1 and id = $2', [context.appId, id]);
    const tombstone = (await loadMessage(tx, context.appId, context.userId, id))!;
    // Logged events of messages quoting this one embed its text: /v1/sync redacts a deleted
    // message's own events, not copies inside others, so scrub those copies now. Quotes stay in
    // their channel and come after what they quote, hence the seq range.
    await tx.query(
      `update events set event = jsonb_set(event, '{message,quoted_message}', (event #> '{message,quoted_message}')
         || jsonb_build_object('type', 'deleted', 'text', '', 'html', '', 'attachments', '[]'::jsonb, 'deleted_at', $6::text))
       where app_id = $1 and type = $2 and channel_id = $3 and seq > $4
         and event #>> '{message,quoted_message_id}' = $5 and jsonb_typeof(event #> '{message,quoted_message}') = 'object'`,
      [context.appId, row.type, row.channel_id, row.seq, id, tombstone.deleted_at],
    );
    if (hard) {
      await tx.query('delete from reactions where app_id = $1 and message_id = $2', [context.appId, id]);
      await tx.query('delete from user_message_flags where app_id = $1 and message_id = $2', [context.appId, id]);
      await tx.query('delete from message_versions where app_id = $1 and message_id = $2', [context.appId, id]);
      await tx.query('delete from messages where app_id = $1 and id = $2', [context.appId, id]);
    }
    await events.channelEvent(tx, row.type, row.channel_id, seq, {
      type: 'message.deleted',
      created_at: now(),
      user: auth.user ? userRef(auth.user) : null,
      message: forEvent(tombstone),
      hard_delete: hard,
    }, audienceOf(row));
    // A thread counts the replies one can read: the first deletion of a reply takes it off its
    // parent's count (a shadowed reply never counted).
    if (row.parent_id && !row.deleted_at && !row.shadowed) await uncountReply(tx, context, events, auth, row.parent_id);
    return tombstone;
  });
}

async function uncountReply(tx: pg.PoolClient, context: ChannelContext, events: EventBatch, auth: AppAuth, parentId: string): Promise<void> {
  const updated = await tx.query('update messages set reply_count = greatest(reply_count - 1, 0), updated_at = now() where app_id = $1 and id = $2', [context.appId, parentId]);
  if (updated.rowCount === 0) return;
  const { type, id } = context.channel;
  const parent = await loadMessage(tx, context.appId, null, parentId);
  if (!parent) return; // shadowed: nobody else sees it or its count
  const seq = await nextSeq(tx, context.appId, type, id);
  await events.channelEvent(tx, type, id, seq, { type: 'message.updated', created_at: now(), user: auth.user ? userRef(auth.user) : null, message: forEvent(parent) });
}

export async function doMessageHistory(services: Services, auth: AppAuth, id: string) {
  const { context, row } = await accessMessage(services, services.pool, auth, id);
  if (row.deleted_at && !allowed(context, 'delete_any_message')) return { history: [] };
  const versions = await services.pool.query<{ version: number; text: string; attachments: unknown[]; custom: Record<string, unknown>; created_at: Date }>(
    'select version, text, attachments, custom, created_at from message_versions where app_id = $1 and message_id = $2 order by version',
    [auth.appId, id],
  );
  return { history: versions.rows.map((v) => ({ ...v, created_at: v.created_at.toISOString() })) };
}

/** Who has read the message (read pointer at or past it), except its author. */
export async function doMessageReads(services: Services, auth: AppAuth, id: string) {
  const { context, row } = await accessMessage(services, services.pool, auth, id);
  const reads = await services.pool.query<{ user_id: string; name: string | null; image: string | null; last_read_seq: number; last_read_at: Date | null }>(
    `select cm.user_id, u.name, u.image, cm.last_read_seq, cm.last_read_at from channel_members cm
     left join users u on u.app_id = cm.app_id and u.id = cm.user_id
     where cm.app_id = $1 and cm.type = $2 and cm.channel_id = $3 and cm.last_read_seq >= $4 and cm.user_id is distinct from $5
     order by cm.last_read_at, cm.user_id`,
    [auth.appId, context.channel.type, context.channel.id, row.seq, row.user_id],
  );
  return {
    reads: reads.rows.map((r) => ({ user_id: r.user_id, user: { id: r.user_id, name: r.name, image: r.image }, last_read_seq: r.last_read_seq, last_read_at: r.last_read_at?.toISOString() ?? null })),
  };
}
