/**
 * @mentions: the members a message names, by explicit id (`mentioned_user_ids`) or by `@id` in
 * its text. Kept in `messages.mentioned_user_ids`; each mentioned member gets a
 * `user_message_flags.mentioned` row (their unread mentions, GET /v1/me/mentions).
 */
import type pg from 'pg';
import type { MessageRow } from '../db/messages.js';
import type { Queryable } from '../db/pool.js';
import type { ChannelContext } from './access.js';

export type UserRefRow = { id: string; name: string | null; image: string | null };

/** The ids written as `@id` in a text (trailing sentence punctuation dropped). */
export function textMentions(text: string): string[] {
  return [...text.matchAll(/(?:^|[^\w])@([A-Za-z0-9_@.|=+!-]{1,128})/g)].map((m) => m[1]!.replace(/[.!]+$/, ''));
}

/** Explicit ids and `@id` tokens of the text, kept only when they are members. */
export async function resolveMentions(tx: Queryable, context: ChannelContext, text: string, explicit: string[] = []): Promise<UserRefRow[]> {
  const candidates = [...new Set([...explicit, ...textMentions(text)])];
  if (candidates.length === 0) return [];
  const result = await tx.query<UserRefRow>(
    `select cm.user_id as id, u.name, u.image from channel_members cm left join users u on u.app_id = cm.app_id and u.id = cm.user_id
     where cm.app_id = $1 and cm.type = $2 and cm.channel_id = $3 and cm.user_id = any($4::text[]) order by cm.user_id`,
    [context.appId, context.channel.type, context.channel.id, candidates],
  );
  return result.rows;
}

/**
 * After an edit: mentions follow the new text. Those the old text did not name were explicit
 * (`mentioned_user_ids` at send) and stay; `@id`s added by the edit are new mentions, removed ones
 * are gone (their flag no longer counts as a mention).
 */
export async function remention(tx: pg.PoolClient, context: ChannelContext, row: MessageRow, text: string, shadowed: boolean): Promise<void> {
  const before = row.mentioned_user_ids ?? [];
  const named = new Set(textMentions(row.text));
  const explicit = before.filter((id) => !named.has(id));
  const now = shadowed ? [] : (await resolveMentions(tx, context, text, explicit)).map((u) => u.id);
  if (now.length === before.length && now.every((id) => before.includes(id))) return;
  await tx.query('update messages set mentioned_user_ids = $3 where app_id = $1 and id = $2', [context.appId, row.id, now]);
  await tx.query(
    `insert into user_message_flags (app_id, user_id, message_id, type, channel_id, seq, mentioned)
     select $1, u, $2, $3, $4, $5, true from unnest($6::text[]) u
     on conflict (app_id, user_id, message_id) do update set mentioned = true`,
    [context.appId, row.id, row.type, row.channel_id, row.seq, now],
  );
  await tx.query('update user_message_flags set mentioned = false where app_id = $1 and message_id = $2 and mentioned and not (user_id = any($3::text[]))', [
    context.appId,
    row.id,
    now,
  ]);
}
