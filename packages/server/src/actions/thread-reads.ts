/**
 * Thread read state: a pointer per user and thread they take part in (see
 * docs/subsystems/read-state.md "Threads"). Replying moves the replier's pointer to their reply
 * and enrols the parent's author (everything after the parent is unread for them); marking a
 * thread read moves the pointer forward only.
 */
import type { MarkThreadReadBody, ThreadUnread } from '@parley/protocol';
import type pg from 'pg';
import type { Queryable } from '../db/pool.js';
import { notFound, validationError } from '../errors.js';
import { now } from '../events/event-log.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { writerId } from './access.js';
import { writeMessage } from './messages.js';

/** After a reply is inserted (same transaction): the replier has read up to it; the parent's author joins the thread. */
export async function trackReply(tx: pg.PoolClient, appId: string, parent: { id: string; type: string; channel_id: string; seq: number; user_id: string | null }, replier: string, replySeq: number) {
  await tx.query({
    name: 'thread-reply-reads',
    text: `insert into thread_reads (app_id, user_id, parent_id, type, channel_id, last_read_seq, last_read_at)
       select $1, u.user_id, $3, $4, $5, u.seq, case when u.user_id = $2 then now() end
       from (values ($2::text, $6::bigint), ($7::text, $8::bigint)) as u(user_id, seq) where u.user_id is not null
       on conflict (app_id, user_id, parent_id) do update
         set last_read_seq = greatest(thread_reads.last_read_seq, excluded.last_read_seq),
             last_read_at = case when excluded.user_id = $2 then now() else thread_reads.last_read_at end
         where excluded.user_id = $2`,
    values: [appId, replier, parent.id, parent.type, parent.channel_id, replySeq, parent.user_id === replier ? null : parent.user_id, parent.seq],
  });
}

/** POST /v1/messages/{id}/thread/read `{seq?}`: the caller has read the thread up to `seq` (default: its last reply). */
export async function doMarkThreadRead(services: Services, auth: AppAuth, parentId: string, body: MarkThreadReadBody) {
  return writeMessage(services, auth, parentId, async (tx, context, parent, events) => {
    const userId = writerId(context);
    if (!context.membership) throw notFound('membership');
    if (parent.parent_id) throw validationError('id', 'names a reply, not a thread');
    // The last reply the caller can see (not another's shadowed one, not a tombstone: no oracle).
    const last = await tx.query<{ seq: number | null }>(
      'select max(seq)::int as seq from messages where app_id = $1 and parent_id = $2 and deleted_at is null and (not shadowed or user_id = $3)',
      [context.appId, parentId, userId],
    );
    const top = last.rows[0]?.seq ?? parent.seq;
    const target = Math.min(body.seq ?? top, top);
    const moved = await tx.query<{ last_read_seq: number; last_read_at: Date | null }>(
      `insert into thread_reads (app_id, user_id, parent_id, type, channel_id, last_read_seq, last_read_at) values ($1, $2, $3, $4, $5, $6, now())
       on conflict (app_id, user_id, parent_id) do update set last_read_seq = greatest(thread_reads.last_read_seq, excluded.last_read_seq), last_read_at = now()
       returning last_read_seq::int, last_read_at`,
      [context.appId, userId, parentId, parent.type, parent.channel_id, target],
    );
    const row = moved.rows[0]!;
    const cid = `${parent.type}:${parent.channel_id}`;
    const unread = (await unreadThreads(tx, context.appId, userId, parentId))[0]?.unread_replies ?? 0;
    // The user's other devices clear the thread's badge.
    events.notify(userId, { type: 'notification.thread_mark_read', created_at: now(), cid, parent_id: parentId, last_read_seq: row.last_read_seq, unread_replies: unread });
    return { thread: { parent_id: parentId, cid, last_read_seq: row.last_read_seq, last_read_at: row.last_read_at?.toISOString() ?? null, unread_replies: unread } };
  });
}

/** At most this many threads (the newest) are listed in /v1/me/unread. */
const MAX_THREADS = 200;

/**
 * The caller's threads with unread replies (or one thread): replies after their pointer, not
 * theirs, not deleted or shadowed, in channels they still belong to, parents not deleted.
 */
export async function unreadThreads(db: Queryable, appId: string, userId: string, only: string | null = null): Promise<ThreadUnread[]> {
  const result = await db.query<{ parent_id: string; type: string; channel_id: string; last_read_seq: number; unread: number }>({
    name: 'unread-threads',
    text: `select tr.parent_id, tr.type, tr.channel_id, tr.last_read_seq::int as last_read_seq, n.unread
     from thread_reads tr
     join channels c on c.app_id = tr.app_id and c.type = tr.type and c.id = tr.channel_id and c.deleted_at is null
     join channel_members cm on cm.app_id = tr.app_id and cm.type = tr.type and cm.channel_id = tr.channel_id and cm.user_id = tr.user_id
     join messages p on p.app_id = tr.app_id and p.id = tr.parent_id and p.deleted_at is null and p.seq > c.truncated_seq
     cross join lateral (select count(*)::int as unread from messages r where r.app_id = tr.app_id and r.parent_id = tr.parent_id
       and r.seq > tr.last_read_seq and r.deleted_at is null and not r.shadowed and r.user_id is distinct from tr.user_id) n
     where tr.app_id = $1 and tr.user_id = $2 and ($3::uuid is null or tr.parent_id = $3) and (n.unread > 0 or $3::uuid is not null)
     order by tr.parent_id desc limit ${MAX_THREADS}`,
    values: [appId, userId, only],
  });
  return result.rows.map((r) => ({ parent_id: r.parent_id, cid: `${r.type}:${r.channel_id}`, unread_replies: r.unread, last_read_seq: r.last_read_seq }));
}
