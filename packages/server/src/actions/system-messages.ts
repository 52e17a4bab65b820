import { uuidv7 } from 'uuidv7';
import type pg from 'pg';
import { nextSeq } from '../db/channels.js';
import { loadMessage, forEvent } from '../db/messages.js';
import type { EventBatch } from '../events/event-log.js';
import { now, userRef } from '../events/event-log.js';
import type { ChannelContext } from './access.js';

/**
 * A system message ("Alice added Bob", "Alice renamed the group to …"): a message of type
 * `system`, in the channel's history, that never counts as unread.
 */
export async function appendSystemMessage(tx: pg.PoolClient, context: ChannelContext, events: EventBatch, text: string): Promise<void> {
  const { appId, channel } = context;
  const seq = await nextSeq(tx, appId, channel.type, channel.id);
  const id = uuidv7();
  await tx.query(
    `insert into messages (app_id, id, type, channel_id, seq, user_id, kind, text, html) values ($1, $2, $3, $4, $5, $6, 'system', $7, $8)`,
    [appId, id, channel.type, channel.id, seq, context.userId, text, `<p>${escapeHtml(text)}</p>`],
  );
  await tx.query(
    `update channels set last_message_at = (select created_at from messages where app_id = $1 and id = $4) where app_id = $1 and type = $2 and id = $3`,
    [appId, channel.type, channel.id, id],
  );
  const message = (await loadMessage(tx, appId, null, id))!;
  await events.channelEvent(tx, channel.type, channel.id, seq, { type: 'message.new', created_at: now(), user: userRef(message.user), message: forEvent(message) });
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
