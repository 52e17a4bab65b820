/**
 * Sending a message: validate, authorize, then in one transaction take the next seq, insert,
 * update the thread parent, unhide, move the sender's read pointer, flag mentions and append the
 * events; publish after commit. Idempotent by client_msg_id. See docs/subsystems/sending-messages.md.
 */
import { createHash } from 'node:crypto';
import { MAX_ATTACHMENTS, type Message, type SendMessageBody } from '@parley/protocol';
import { uuidv7 } from 'uuidv7';
import type pg from 'pg';
import { nextSeq } from '../db/channels.js';
import { forEvent, loadMessage, toMessage, type MessageRow, type ReadRow } from '../db/messages.js';
import type { Queryable } from '../db/pool.js';
import { DEFAULT_LIMITS } from '../engines/rate-limiter.js';
import { ApiError, notFound, permissionDenied, validationError } from '../errors.js';
import { now, userRef, type EventBatch } from '../events/event-log.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { allowed, requireNotFrozen, requirePermission, writerId, type ChannelContext } from './access.js';
import { writeChannel } from './channel-write.js';
import { renderMarkdown } from './markdown.js';
import { resolveMentions, type UserRefRow } from './mentions.js';
import { trackReply } from './thread-reads.js';

export interface SendResult {
  message: Message;
  /** false when this was a retry of an earlier send (same key, same body). */
  created: boolean;
}

/** Thrown inside the transaction when the insert met an existing client_msg_id: roll back, replay it. */
class Replay extends Error {
  constructor() {
    super('replay');
  }
}

/** Object keys sorted at every depth: a retry is the same body whatever order its JSON keys come in. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(object).sort().map((k) => [k, sortedKeys(object[k])]));
}

function requestHash(type: string, id: string, body: SendMessageBody): string {
  const { client_msg_id: _ignored, ...rest } = body;
  const canonical = JSON.stringify([type, id, Object.keys(rest).sort().map((k) => [k, sortedKeys(rest[k as keyof typeof rest])])]);
  return createHash('sha256').update(canonical).digest('base64url');
}

export function validateContent(text: string, attachments: unknown[] | undefined, maxLength: number): void {
  if (text.trim() === '' && (attachments?.length ?? 0) === 0) throw new ApiError('EMPTY_MESSAGE', 'a message needs text or an attachment');
  const length = [...text].length;
  if (length > maxLength) throw new ApiError('MESSAGE_TOO_LONG', `text is ${length} characters; the limit is ${maxLength}`, { max_message_length: maxLength, length });
  if ((attachments?.length ?? 0) > MAX_ATTACHMENTS) {
    throw new ApiError('TOO_MANY_ATTACHMENTS', `at most ${MAX_ATTACHMENTS} attachments`, { max_attachments: MAX_ATTACHMENTS });
  }
}

async function findByClientId(db: Queryable, appId: string, userId: string, clientMsgId: string) {
  const result = await db.query<{ id: string; request_hash: string | null }>(
    'select id, request_hash from messages where app_id = $1 and user_id = $2 and client_msg_id = $3',
    [appId, userId, clientMsgId],
  );
  return result.rows[0];
}

async function replay(services: Services, auth: AppAuth, existing: { id: string; request_hash: string | null }, hash: string): Promise<SendResult> {
  if (existing.request_hash !== hash) throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'this client_msg_id was used for a different message');
  const message = await loadMessage(services.pool, auth.appId, auth.user?.id ?? null, existing.id);
  if (!message) throw notFound('message');
  return { message, created: false };
}

async function checkBlocked(tx: Queryable, context: ChannelContext, userId: string): Promise<void> {
  if (!context.channel.is_distinct) return;
  const blocked = await tx.query(
    `select 1 from user_blocks b join channel_members m on m.app_id = b.app_id and m.type = $2 and m.channel_id = $3
     where b.app_id = $1 and ((b.user_id = $4 and b.blocked_user_id = m.user_id) or (b.blocked_user_id = $4 and b.user_id = m.user_id)) limit 1`,
    [context.appId, context.channel.type, context.channel.id, userId],
  );
  if ((blocked.rowCount ?? 0) > 0) throw new ApiError('USER_BLOCKED', 'you cannot message this user');
}

async function checkSlowMode(tx: Queryable, context: ChannelContext, userId: string): Promise<void> {
  const seconds = context.channelType.config.slow_mode_seconds;
  if (!seconds || allowed(context, 'skip_slow_mode')) return;
  const last = await tx.query<{ wait: number }>(
    `select ceil(extract(epoch from (max(created_at) + make_interval(secs => $5) - now())))::int as wait
     from messages where app_id = $1 and type = $2 and channel_id = $3 and user_id = $4 and created_at > now() - make_interval(secs => $5)`,
    [context.appId, context.channel.type, context.channel.id, userId, seconds],
  );
  const wait = last.rows[0]?.wait;
  if (wait !== null && wait !== undefined && wait > 0) throw new ApiError('SLOW_MODE', `slow mode: wait ${wait} s`, { slow_mode_seconds: seconds }, wait);
}

type ParentRow = MessageRow & { user_name: string | null; user_image: string | null };

async function loadParent(tx: Queryable, context: ChannelContext, id: string | undefined, what: string): Promise<ParentRow | null> {
  if (!id) return null;
  const result = await tx.query<ParentRow>(
    `select m.*, u.name as user_name, u.image as user_image from messages m left join users u on u.app_id = m.app_id and u.id = m.user_id
     where m.app_id = $1 and m.id = $2 and m.type = $3 and m.channel_id = $4 and m.seq > $5 and (not m.shadowed or m.user_id = $6::text)`,
    [context.appId, id, context.channel.type, context.channel.id, context.channel.truncated_seq, context.userId],
  );
  const row = result.rows[0];
  if (!row) throw validationError(what, 'names no message of this channel');
  return row;
}

export async function doSendMessage(services: Services, auth: AppAuth, type: string, id: string, body: SendMessageBody, idempotencyKey?: string): Promise<SendResult> {
  if (body.client_msg_id && idempotencyKey && body.client_msg_id !== idempotencyKey) {
    throw validationError('client_msg_id', 'differs from the Idempotency-Key header');
  }
  const clientMsgId = body.client_msg_id ?? idempotencyKey ?? null;
  const hash = requestHash(type, id, body);
  const senderId = auth.user?.id;
  if (senderId && auth.kind === 'user') {
    const app = await services.apps.get(auth.appId);
    const limit = app?.settings.limits?.messages_per_minute_per_user ?? DEFAULT_LIMITS.messages_per_minute_per_user;
    const hit = await services.rateLimiter.hit(`m:${auth.appId}:${senderId}`, limit, 60).catch(() => null);
    if (hit && !hit.allowed) throw new ApiError('RATE_LIMITED', `at most ${limit} messages a minute`, undefined, hit.retryAfter);
  }

  try {
    return await writeChannel(services, auth, type, id, async (tx, context, events) => {
      const userId = writerId(context);
      requirePermission(context, body.parent_id ? 'send_reply' : 'send_message');
      requireNotFrozen(context);
      const config = context.channelType.config;
      const text = body.text ?? '';
      validateContent(text, body.attachments, config.max_message_length);
      if (body.attachments?.length && !config.uploads && body.attachments.some((a) => a.type !== 'link')) throw permissionDenied('attachments are disabled for this channel type');
      await checkBlocked(tx, context, userId);
      await checkSlowMode(tx, context, userId);
      const parent = await loadParent(tx, context, body.parent_id, 'parent_id');
      if (parent && (!config.replies || parent.parent_id || parent.deleted_at)) {
        if (!config.replies) throw permissionDenied('replies are disabled for this channel type');
        throw validationError('parent_id', 'must name a top-level message that is not deleted');
      }
      const quoted = await loadParent(tx, context, body.quoted_message_id, 'quoted_message_id');
      if (quoted && !config.quotes) throw permissionDenied('quotes are disabled for this channel type');
      // Shadowed: sent under a shadow ban, or answering / quoting a shadowed message (only its
      // author can, and the answer would show it). It mentions nobody: no one else will see it.
      const shadowed = context.ban === 'shadow' || parent?.shadowed === true || quoted?.shadowed === true;
      const mentions = shadowed ? [] : await resolveMentions(tx, context, text, body.mentioned_user_ids);
      return insertMessage(tx, context, events, { userId, body, text, clientMsgId, hash, parent, quoted, mentions, shadowed, sender: { name: auth.user?.name ?? null, image: auth.user?.image ?? null } });
    });
  } catch (error) {
    // Retries are checked only when something stops the write, so a first send pays nothing for
    // idempotency: the insert met the key (Replay), the key won a race in another channel (23505),
    // or a check refused (slow mode, a freeze, a block...) that the original message had passed.
    const retryable = error instanceof Replay || error instanceof ApiError || (error as { code?: string }).code === '23505';
    if (clientMsgId && senderId && retryable) {
      const existing = await findByClientId(services.pool, auth.appId, senderId, clientMsgId);
      if (existing) return replay(services, auth, existing, hash);
    }
    throw error;
  }
}

interface NewMessage {
  userId: string;
  body: SendMessageBody;
  text: string;
  clientMsgId: string | null;
  hash: string;
  parent: ParentRow | null;
  quoted: ParentRow | null;
  mentions: UserRefRow[];
  /** Sent under a shadow ban: stored, visible to the sender only, nobody notified. */
  shadowed: boolean;
  /** The author's name and image when not a member (an app admin posting): from the auth cache. */
  sender: { name: string | null; image: string | null };
}

/**
 * The write, in two statements under the channel lock: (1) next seq, insert, last_message_at,
 * unhide + the sender's read pointer, mention flags, and the members to notify, all in one
 * statement; (2) the event. The public message is built from what we already hold, not re-read.
 */
async function insertMessage(tx: pg.PoolClient, context: ChannelContext, events: EventBatch, m: NewMessage): Promise<SendResult> {
  const { appId, channel } = context;
  const id = uuidv7();
  const inChannel = !m.parent || m.body.show_in_channel === true;
  // What others see of it: a shadowed message moves no channel, unhides nothing, notifies nobody.
  const visibleToOthers = inChannel && !m.shadowed;
  const html = renderMarkdown(m.text);
  const attachments = m.body.attachments ?? [];
  const custom = m.body.custom ?? {};
  const mentionIds = m.mentions.map((u) => u.id);
  // created_at is read under the channel lock (not now(), the transaction start), truncated to
  // milliseconds so that every copy of it (message, last_message_at, read_at) is the same value.
  // (Data-modifying CTEs run whether or not the final select reads them.)
  const written = await tx.query<{ seq: number | null; at: Date; notify: string[] }>({
    name: 'send-message',
    text: `with t as (select date_trunc('milliseconds', clock_timestamp()) as at),
     s as (update channels set last_seq = last_seq + 1,
             last_message_at = case when $6 then (select at from t) else last_message_at end
           where app_id = $1 and type = $2 and id = $3 returning last_seq),
     msg as (insert into messages (app_id, id, type, channel_id, seq, user_id, kind, text, html, attachments, custom, parent_id,
               show_in_channel, quoted_message_id, mentioned_user_ids, silent, client_msg_id, request_hash, shadowed, created_at, updated_at)
             select $1, $4, $2, $3, s.last_seq, $5, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, t.at, t.at from s, t
             on conflict (app_id, user_id, client_msg_id) where client_msg_id is not null do nothing
             returning seq),
     mem as (update channel_members set
               hidden = case when $6 then false else hidden end,
               last_read_seq = case when user_id = $5 then (select seq from msg) else last_read_seq end,
               last_read_at = case when user_id = $5 then (select at from t) else last_read_at end,
               last_delivered_seq = case when user_id = $5 then greatest(last_delivered_seq, (select seq from msg)) else last_delivered_seq end
             where app_id = $1 and type = $2 and channel_id = $3 and ((hidden and $6) or (user_id = $5 and last_read_seq < (select seq from msg)))
             returning 1),
     flags as (insert into user_message_flags (app_id, user_id, message_id, type, channel_id, seq, mentioned)
               select $1, u, $4, $2, $3, (select seq from msg), true from unnest($15::text[]) u where exists (select 1 from msg)
               on conflict (app_id, user_id, message_id) do update set mentioned = true returning 1)
     select (select seq from msg) as seq, (select at from t) as at,
       (select coalesce(array_agg(user_id), '{}') from channel_members where app_id = $1 and type = $2 and channel_id = $3 and user_id <> $5 and $6) as notify`,
    values: [appId, channel.type, channel.id, id, m.userId, visibleToOthers, m.parent ? 'reply' : 'regular', m.text, html,
      JSON.stringify(attachments), custom, m.parent?.id ?? null, m.parent ? m.body.show_in_channel === true : false,
      m.body.quoted_message_id ?? null, mentionIds, m.body.silent === true, m.clientMsgId, m.hash, m.shadowed],
  });
  const { seq, at, notify } = written.rows[0]!;
  // The key was used already (a retry): nothing was inserted; roll back the seq and replay.
  if (seq === null) throw new Replay();
  const sender = { user_name: context.membership?.user_name ?? m.sender.name, user_image: context.membership?.user_image ?? m.sender.image };
  const quoted = m.quoted;
  const row: ReadRow = {
    app_id: appId, id, type: channel.type, channel_id: channel.id, seq, user_id: m.userId, kind: m.parent ? 'reply' : 'regular',
    text: m.text, html, attachments, custom, parent_id: m.parent?.id ?? null, show_in_channel: m.parent ? m.body.show_in_channel === true : false,
    quoted_message_id: quoted?.id ?? null, mentioned_user_ids: mentionIds, reply_count: 0, thread_participants: [], last_reply_at: null,
    reaction_counts: {}, reaction_scores: {}, pinned_at: null, pinned_by: null, pin_expires_at: null, silent: m.body.silent === true, shadowed: m.shadowed,
    client_msg_id: m.clientMsgId, request_hash: m.hash, created_at: at, updated_at: at, edited_at: null, deleted_at: null,
    user_name: sender?.user_name ?? null, user_image: sender?.user_image ?? null, user_exists: true,
    quoted: quoted
      ? { id: quoted.id, kind: quoted.kind, text: quoted.text, html: quoted.html, attachments: quoted.attachments, user_id: quoted.user_id,
          user_name: quoted.user_name, user_image: quoted.user_image, created_at: quoted.created_at.toISOString(), deleted_at: quoted.deleted_at?.toISOString() ?? null }
      : null,
    mentioned: m.mentions,
    latest: [],
    own: [],
  };
  const message = toMessage(row);
  const actor = userRef(message.user);
  await events.channelEvent(tx, channel.type, channel.id, seq, { type: 'message.new', created_at: now(), user: actor, message: forEvent(message) }, m.shadowed ? m.userId : null);
  if (m.parent && !m.shadowed) {
    const parentSeq = await nextSeq(tx, appId, channel.type, channel.id);
    await tx.query(
      `update messages set reply_count = reply_count + 1, last_reply_at = $3,
         thread_participants = case when $4 = any(thread_participants) then thread_participants else array_append(thread_participants, $4) end
       where app_id = $1 and id = $2`,
      [appId, m.parent.id, at, m.userId],
    );
    const parent = (await loadMessage(tx, appId, null, m.parent.id))!;
    await events.channelEvent(tx, channel.type, channel.id, parentSeq, { type: 'message.updated', created_at: now(), user: actor, message: forEvent(parent) });
    await trackReply(tx, appId, m.parent, m.userId, seq);
  }
  if (notify.length > 0) {
    // One event object for every member: serialised once (engines/broker.ts messageJson).
    const notification = { type: 'notification.message_new', created_at: now(), cid: message.cid, user: actor, message: forEvent(message) };
    for (const member of notify) events.notify(member, notification);
  }
  return { message, created: true };
}
