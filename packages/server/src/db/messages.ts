/**
 * Message reads. One query builds every field of the public message (author, quote, mentions,
 * latest and own reactions) with lateral subqueries, so a page costs one round trip.
 */
import type { Message, Reaction } from '@parley/protocol';
import type { Queryable } from './pool.js';

export interface MessageRow {
  app_id: string;
  id: string;
  type: string;
  channel_id: string;
  seq: number;
  user_id: string | null;
  kind: string;
  text: string;
  html: string;
  attachments: unknown[];
  custom: Record<string, unknown>;
  parent_id: string | null;
  show_in_channel: boolean;
  quoted_message_id: string | null;
  mentioned_user_ids: string[];
  reply_count: number;
  thread_participants: string[];
  last_reply_at: Date | null;
  reaction_counts: Record<string, number>;
  reaction_scores: Record<string, number>;
  pinned_at: Date | null;
  pinned_by: string | null;
  pin_expires_at: Date | null;
  silent: boolean;
  /** Sent under a shadow ban: only its author sees it (and its events). */
  shadowed: boolean;
  client_msg_id: string | null;
  request_hash: string | null;
  created_at: Date;
  updated_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
}

/** A message row with what the public shape needs: author, quote, mentions, reactions. */
export interface ReadRow extends MessageRow {
  user_name: string | null;
  user_image: string | null;
  user_exists: boolean;
  quoted: null | {
    id: string;
    kind: string;
    text: string;
    html: string;
    attachments: unknown[];
    user_id: string | null;
    user_name: string | null;
    user_image: string | null;
    created_at: string;
    deleted_at: string | null;
  };
  mentioned: Array<{ id: string; name: string | null; image: string | null }>;
  latest: Array<RawReaction>;
  own: Array<RawReaction>;
}

export interface RawReaction {
  message_id: string;
  user_id: string;
  name: string | null;
  image: string | null;
  kind: string;
  score: number;
  created_at: string;
  updated_at: string;
}

const LATEST_REACTIONS = 10;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const isoString = (s: string | null) => (s ? new Date(s).toISOString() : null);

export function toReaction(r: RawReaction): Reaction {
  return {
    message_id: r.message_id,
    user_id: r.user_id,
    user: { id: r.user_id, name: r.name, image: r.image },
    type: r.kind,
    score: r.score,
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
  };
}

const REACTION_JSON = `json_build_object('message_id', r.message_id, 'user_id', r.user_id, 'name', ru.name, 'image', ru.image,
  'kind', r.kind, 'score', r.score, 'created_at', r.created_at, 'updated_at', r.updated_at)`;

/**
 * Selects messages as seen by `viewer` ($2): shadowed messages only by their author. `where` may use `m.` columns and parameters from $3 on;
 * `$1` is the app id.
 */
export function messageSelect(where: string, tail = ''): string {
  return `select m.*, u.name as user_name, u.image as user_image, (u.id is not null) as user_exists,
    case when q.id is null then null else json_build_object('id', q.id, 'kind', q.kind, 'text', q.text, 'html', q.html,
      'attachments', q.attachments, 'user_id', q.user_id, 'user_name', qu.name, 'user_image', qu.image,
      'created_at', q.created_at, 'deleted_at', q.deleted_at) end as quoted,
    case when cardinality(m.mentioned_user_ids) = 0 then '[]'::json else
      coalesce((select json_agg(json_build_object('id', mu.id, 'name', mu.name, 'image', mu.image) order by mu.id)
      from users mu where mu.app_id = m.app_id and mu.id = any(m.mentioned_user_ids)), '[]') end as mentioned,
    -- Most messages have no reactions: skip both reaction subqueries for them.
    case when m.reaction_counts = '{}'::jsonb and not m.hidden_reactions then '[]'::json else
    coalesce((select json_agg(x.j order by x.created_at desc) from (
      select ${REACTION_JSON} as j, r.created_at from reactions r
      left join users ru on ru.app_id = r.app_id and ru.id = r.user_id
      where r.app_id = m.app_id and r.message_id = m.id and (not r.shadowed or r.user_id = $2::text)
      order by r.created_at desc limit ${LATEST_REACTIONS}) x), '[]') end as latest,
    case when (m.reaction_counts = '{}'::jsonb and not m.hidden_reactions) or $2::text is null then '[]'::json else
    coalesce((select json_agg(${REACTION_JSON} order by r.created_at) from reactions r
      left join users ru on ru.app_id = r.app_id and ru.id = r.user_id
      where r.app_id = m.app_id and r.message_id = m.id and r.user_id = $2), '[]') end as own
  from messages m
  left join users u on u.app_id = m.app_id and u.id = m.user_id
  left join messages q on q.app_id = m.app_id and q.id = m.quoted_message_id and (not q.shadowed or q.user_id = $2::text)
  left join users qu on qu.app_id = q.app_id and qu.id = q.user_id
  where m.app_id = $1 and (not m.shadowed or m.user_id = $2::text) and ${where} ${tail}`;
}

/** The public message. A deleted message is a tombstone: no text, html, attachments or custom. */
export function toMessage(row: ReadRow): Message {
  const deleted = row.deleted_at !== null;
  const quoted = row.quoted;
  const quotedDeleted = quoted ? quoted.deleted_at !== null : false;
  return {
    id: row.id,
    cid: `${row.type}:${row.channel_id}`,
    seq: row.seq,
    user: row.user_id ? { id: row.user_id, name: row.user_name ?? null, image: row.user_image ?? null } : null,
    text: deleted ? '' : row.text,
    html: deleted ? '' : row.html,
    type: deleted ? 'deleted' : row.kind,
    attachments: deleted ? [] : row.attachments,
    parent_id: row.parent_id,
    show_in_channel: row.show_in_channel,
    reply_count: row.reply_count,
    thread_participants: row.thread_participants,
    last_reply_at: iso(row.last_reply_at),
    quoted_message_id: deleted ? null : row.quoted_message_id,
    quoted_message:
      !deleted && quoted
        ? {
            id: quoted.id,
            type: quotedDeleted ? 'deleted' : quoted.kind,
            text: quotedDeleted ? '' : quoted.text,
            html: quotedDeleted ? '' : quoted.html,
            user: quoted.user_id ? { id: quoted.user_id, name: quoted.user_name, image: quoted.user_image } : null,
            attachments: quotedDeleted ? [] : quoted.attachments,
            created_at: new Date(quoted.created_at).toISOString(),
            deleted_at: isoString(quoted.deleted_at),
          }
        : null,
    mentioned_users: deleted ? [] : row.mentioned,
    reaction_counts: row.reaction_counts,
    reaction_scores: row.reaction_scores,
    latest_reactions: row.latest.map(toReaction),
    own_reactions: row.own.map(toReaction),
    pinned: row.pinned_at !== null && (row.pin_expires_at === null || row.pin_expires_at > new Date()),
    pinned_at: iso(row.pinned_at),
    pinned_by: row.pinned_by,
    pin_expires: iso(row.pin_expires_at),
    silent: row.silent,
    edited_at: iso(row.edited_at),
    deleted_at: iso(row.deleted_at),
    client_msg_id: row.client_msg_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    custom: deleted ? {} : row.custom,
  };
}

export async function queryMessages(db: Queryable, appId: string, viewer: string | null, where: string, params: unknown[], tail = ''): Promise<Message[]> {
  const result = await db.query<ReadRow>(messageSelect(where, tail), [appId, viewer, ...params]);
  return result.rows.map(toMessage);
}

export async function loadMessage(db: Queryable, appId: string, viewer: string | null, id: string): Promise<Message | undefined> {
  return (await queryMessages(db, appId, viewer, 'm.id = $3', [id]))[0];
}

/** Who may see the events of a message: its author alone when it is shadowed, else everyone (null). */
export function audienceOf(row: Pick<MessageRow, 'shadowed' | 'user_id'>): string | null {
  return row.shadowed ? row.user_id : null;
}

/** Neutral copy for events: `own_reactions` differ per recipient, so events carry none. */
export function forEvent(message: Message): Message {
  return { ...message, own_reactions: [] };
}
