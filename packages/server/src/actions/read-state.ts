/**
 * Read state: per-member pointers that never move back. See docs/subsystems/read-state.md.
 */
import type { MarkReadBody } from '@parley/protocol';
import { nextSeq, toReadState, type MemberRow } from '../db/channels.js';
import { ApiError, notFound, validationError } from '../errors.js';
import { now, userRef } from '../events/event-log.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { writerId } from './access.js';
import { unreadCounts } from './channel-state.js';
import { writeChannel } from './channel-write.js';
import { unreadThreads } from './thread-reads.js';

/**
 * Whether a message lies in (from, to]. Read and delivered events take seqs too, so a pointer that
 * is behind the channel's last seq may have nothing left to read: moving it then would be a no-op
 * that still tells every member (and marking "latest" twice would never settle).
 */
const MESSAGE_BETWEEN = (from: string, to: string) =>
  `exists (select 1 from messages m where m.app_id = cm.app_id and m.type = cm.type and m.channel_id = cm.channel_id and m.seq > ${from} and m.seq <= ${to})`;

export async function doMarkRead(services: Services, auth: AppAuth, type: string, id: string, body: MarkReadBody) {
  return (await markRead(services, auth, type, id, body)).result;
}

async function markRead(services: Services, auth: AppAuth, type: string, id: string, body: MarkReadBody) {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    const userId = writerId(context);
    if (!context.membership) throw notFound('membership');
    if (body.seq !== undefined && body.message_id !== undefined) throw validationError('seq', 'give seq or message_id, not both');
    let target = context.channel.last_seq;
    if (body.message_id) {
      const message = await tx.query<{ seq: number }>('select seq from messages where app_id = $1 and id = $2 and type = $3 and channel_id = $4', [context.appId, body.message_id, type, id]);
      if (!message.rows[0]) throw notFound('message');
      target = message.rows[0].seq;
    } else if (body.seq !== undefined) {
      target = Math.min(body.seq, context.channel.last_seq);
    }
    // A late or stale mark-read is a no-op: the pointer only moves forward.
    const moved = await tx.query<MemberRow>(
      `update channel_members cm set last_read_seq = $5, last_read_at = now(), last_delivered_seq = greatest(last_delivered_seq, $5)
       where app_id = $1 and type = $2 and channel_id = $3 and user_id = $4 and last_read_seq < $5 and ${MESSAGE_BETWEEN('cm.last_read_seq', '$5')} returning *`,
      [context.appId, type, id, userId, target],
    );
    const row = moved.rows[0] ?? context.membership;
    const counts = (await unreadCounts(tx, context.appId, userId, [type], [id])).get(`${type}:${id}`) ?? { unread: 0, mentions: 0 };
    if (moved.rows[0] && context.channelType.config.read_receipts) {
      const seq = await nextSeq(tx, context.appId, type, id);
      await events.channelEvent(tx, type, id, seq, {
        type: 'message.read',
        created_at: now(),
        user: userRef(auth.user!),
        last_read_seq: row.last_read_seq,
        last_read_at: row.last_read_at?.toISOString() ?? null,
        last_delivered_seq: row.last_delivered_seq,
        unread_count: counts.unread,
        unread_mentions: counts.mentions,
      });
    }
    if (moved.rows[0]) {
      events.notify(userId, { type: 'notification.mark_read', created_at: now(), cid: `${type}:${id}`, last_read_seq: row.last_read_seq, unread_count: counts.unread, unread_mentions: counts.mentions });
    }
    return { result: { read: toReadState(row), unread_count: counts.unread, unread_mentions: counts.mentions }, moved: moved.rows.length > 0 };
  });
}

export async function doMarkAllRead(services: Services, auth: AppAuth) {
  const userId = auth.user!.id;
  const channels = await services.pool.query<{ type: string; channel_id: string }>(
    `select cm.type, cm.channel_id from channel_members cm join channels c on c.app_id = cm.app_id and c.type = cm.type and c.id = cm.channel_id
     where cm.app_id = $1 and cm.user_id = $2 and c.deleted_at is null and cm.last_read_seq < c.last_seq and ${MESSAGE_BETWEEN('cm.last_read_seq', 'c.last_seq')}`,
    [auth.appId, userId],
  );
  // One transaction per channel: each takes that channel's lock (see db/channel-lock.ts).
  let marked = 0;
  for (const channel of channels.rows) {
    try {
      if ((await markRead(services, auth, channel.type, channel.channel_id, {})).moved) marked++;
    } catch (error) {
      // deleted or left in the meantime: nothing to mark there
      if (!(error instanceof ApiError && error.code === 'NOT_FOUND')) throw error;
    }
  }
  return { marked };
}

export async function doMarkDelivered(services: Services, auth: AppAuth, type: string, id: string, seq: number) {
  return writeChannel(services, auth, type, id, async (tx, context, events) => {
    const userId = writerId(context);
    if (!context.membership) throw notFound('membership');
    const target = Math.min(seq, context.channel.last_seq);
    const moved = await tx.query<MemberRow>(
      `update channel_members cm set last_delivered_seq = $5
       where app_id = $1 and type = $2 and channel_id = $3 and user_id = $4 and last_delivered_seq < $5 and ${MESSAGE_BETWEEN('cm.last_delivered_seq', '$5')} returning *`,
      [context.appId, type, id, userId, target],
    );
    const row = moved.rows[0] ?? context.membership;
    if (moved.rows[0] && context.channelType.config.read_receipts) {
      const eventSeq = await nextSeq(tx, context.appId, type, id);
      await events.channelEvent(tx, type, id, eventSeq, { type: 'message.delivered', created_at: now(), user: userRef(auth.user!), last_delivered_seq: row.last_delivered_seq });
    }
    return { read: toReadState(row) };
  });
}

/** GET /v1/me/unread and the totals of GET /v1/me. */
export async function doUnread(services: Services, auth: AppAuth) {
  const userId = auth.user!.id;
  const counts = await unreadCounts(services.pool, auth.appId, userId);
  const threads = await unreadThreads(services.pool, auth.appId, userId);
  const channels = [...counts]
    .map(([cid, c]) => ({ cid, unread_count: c.unread, unread_mentions: c.mentions, last_read_seq: c.lastReadSeq }))
    .filter((c) => c.unread_count > 0 || c.unread_mentions > 0)
    .sort((a, b) => a.cid.localeCompare(b.cid));
  return {
    total_unread_count: channels.reduce((sum, c) => sum + c.unread_count, 0),
    unread_channels: channels.filter((c) => c.unread_count > 0).length,
    total_unread_mentions: channels.reduce((sum, c) => sum + c.unread_mentions, 0),
    channels,
    unread_threads: threads.length,
    threads,
  };
}
