import type { Channel, Member, Membership, ReadState } from '@parley/protocol';
import { ACTIVE_BAN } from './bans.js';
import type { Queryable } from './pool.js';

export interface ChannelRow {
  app_id: string;
  type: string;
  id: string;
  name: string | null;
  image: string | null;
  custom: Record<string, unknown>;
  created_by: string | null;
  is_distinct: boolean;
  frozen: boolean;
  last_seq: number;
  last_message_at: Date | null;
  member_count: number;
  truncated_seq: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export interface MemberRow {
  app_id: string;
  type: string;
  channel_id: string;
  user_id: string;
  role: string;
  last_read_seq: number;
  last_read_at: Date | null;
  last_delivered_seq: number;
  starred: boolean;
  archived: boolean;
  hidden: boolean;
  muted_until: Date | null;
  notifications: string;
  banned: boolean;
  created_at: Date;
  updated_at: Date;
  user_name?: string | null;
  user_image?: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toChannel(row: ChannelRow): Channel {
  return {
    cid: `${row.type}:${row.id}`,
    type: row.type,
    id: row.id,
    name: row.name,
    image: row.image,
    custom: row.custom,
    created_by: row.created_by,
    distinct: row.is_distinct,
    frozen: row.frozen,
    member_count: row.member_count,
    last_message_at: iso(row.last_message_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    deleted_at: iso(row.deleted_at),
    truncated_seq: row.truncated_seq,
  };
}

export function toMember(row: MemberRow): Member {
  return {
    user_id: row.user_id,
    user: { id: row.user_id, name: row.user_name ?? null, image: row.user_image ?? null },
    role: row.role,
    banned: row.banned,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function toMembership(row: MemberRow): Membership {
  return {
    ...toMember(row),
    starred: row.starred,
    archived: row.archived,
    hidden: row.hidden,
    muted_until: iso(row.muted_until),
    notifications: row.notifications,
    last_read_seq: row.last_read_seq,
    last_read_at: iso(row.last_read_at),
    last_delivered_seq: row.last_delivered_seq,
  };
}

export function toReadState(row: MemberRow): ReadState {
  return { user_id: row.user_id, last_read_seq: row.last_read_seq, last_read_at: iso(row.last_read_at), last_delivered_seq: row.last_delivered_seq };
}

export const CHANNEL_COLUMNS =
  'app_id, type, id, name, image, custom, created_by, is_distinct, frozen, last_seq, last_message_at, member_count, truncated_seq, created_at, updated_at, deleted_at';

export async function findChannel(db: Queryable, appId: string, type: string, id: string, lock = false): Promise<ChannelRow | undefined> {
  const result = await db.query<ChannelRow>(
    `select ${CHANNEL_COLUMNS} from channels where app_id = $1 and type = $2 and id = $3 and deleted_at is null${lock ? ' for update' : ''}`,
    [appId, type, id],
  );
  return result.rows[0];
}

export async function findMember(db: Queryable, appId: string, type: string, id: string, userId: string): Promise<MemberRow | undefined> {
  const result = await db.query<MemberRow>(
    `select m.*, u.name as user_name, u.image as user_image from channel_members m
     left join users u on u.app_id = m.app_id and u.id = m.user_id
     where m.app_id = $1 and m.type = $2 and m.channel_id = $3 and m.user_id = $4`,
    [appId, type, id, userId],
  );
  return result.rows[0];
}

/**
 * Takes the channel's next seq (locking the channel row until commit, which orders writes per
 * channel) and returns it.
 */
export async function nextSeq(db: Queryable, appId: string, type: string, id: string): Promise<number> {
  const result = await db.query<{ last_seq: number }>(
    'update channels set last_seq = last_seq + 1 where app_id = $1 and type = $2 and id = $3 returning last_seq',
    [appId, type, id],
  );
  return result.rows[0]!.last_seq;
}

/** Counted unread: after the pointer, not mine, not deleted, not thread-only, not truncated, not shadowed. */
export const UNREAD_CONDITION = `msg.app_id = cm.app_id and msg.type = cm.type and msg.channel_id = cm.channel_id
  and msg.seq > greatest(cm.last_read_seq, c.truncated_seq) and msg.deleted_at is null
  and (msg.parent_id is null or msg.show_in_channel) and msg.user_id is distinct from cm.user_id and msg.kind <> 'system'
  and not msg.shadowed`;

const MEMBER_FIELDS = [
  'role', 'last_read_seq', 'last_read_at', 'last_delivered_seq', 'starred', 'archived', 'hidden', 'muted_until',
  'notifications', 'banned', 'created_at', 'updated_at',
] as const;

/**
 * The channel, the caller's membership (with their name and image) and any ban of theirs in force,
 * in one round trip: every channel action starts with it.
 */
export async function findChannelWithMember(
  db: Queryable,
  appId: string,
  type: string,
  id: string,
  userId: string | null,
): Promise<{ channel: ChannelRow; membership: MemberRow | null; ban: 'hard' | 'shadow' | null } | undefined> {
  const result = await db.query<ChannelRow & Record<string, unknown>>({
    name: 'channel-with-member',
    text: `select ${CHANNEL_COLUMNS.split(', ').map((c) => 'c.' + c).join(', ')},
       m.user_id as m_user_id, u.name as m_user_name, u.image as m_user_image,
       ${MEMBER_FIELDS.map((f) => `m.${f} as m_${f}`).join(', ')},
       (select case when b.shadow then 'shadow' else 'hard' end from channel_bans b where b.app_id = c.app_id and b.type = c.type
         and b.channel_id = c.id and b.user_id = $4 and ${ACTIVE_BAN}) as ban
     from channels c
     left join channel_members m on m.app_id = c.app_id and m.type = c.type and m.channel_id = c.id and m.user_id = $4
     left join users u on u.app_id = m.app_id and u.id = m.user_id
     where c.app_id = $1 and c.type = $2 and c.id = $3 and c.deleted_at is null`,
    values: [appId, type, id, userId],
  });
  const row = result.rows[0];
  if (!row) return undefined;
  const channel = Object.fromEntries(CHANNEL_COLUMNS.split(', ').map((c) => [c, row[c]])) as unknown as ChannelRow;
  const ban = row.ban as 'hard' | 'shadow' | null;
  if (row.m_user_id === null) return { channel, membership: null, ban };
  const membership = {
    app_id: appId,
    type,
    channel_id: id,
    user_id: row.m_user_id as string,
    user_name: row.m_user_name as string | null,
    user_image: row.m_user_image as string | null,
    ...Object.fromEntries(MEMBER_FIELDS.map((f) => [f, row[`m_${f}`]])),
  } as MemberRow;
  return { channel, membership, ban };
}
