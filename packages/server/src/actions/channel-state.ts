/**
 * Channel state for a viewer: channel, first members, messages, pinned messages, own membership,
 * read pointers and unread counts. Built for a whole page of channels with a fixed number of
 * queries (no N+1): see the pinned query counts in test/conversations/query-counts.test.ts.
 */
import type { ChannelState, Message, MessageWindowQuery } from '@parley/protocol';
import { toChannel, toMember, toMembership, toReadState, UNREAD_CONDITION, type ChannelRow, type MemberRow } from '../db/channels.js';
import { messageSelect, queryMessages, toMessage } from '../db/messages.js';
import type { Queryable } from '../db/pool.js';
import { currentSnapshot } from './sync.js';
import { encodeSyncCursor } from './sync-cursor.js';

export interface StateOptions {
  messageLimit: number;
  memberLimit: number;
  /** The sync cursor to hand out, taken before the channel rows were read; taken here otherwise. */
  cursor?: string;
}

const VISIBLE = '(m.parent_id is null or m.show_in_channel)';

/**
 * Messages of one channel in a seq window: latest, before, after, or around a seq. With `thread`,
 * the replies of that message; otherwise what the channel shows (top level and shown replies).
 */
export async function messageWindow(
  db: Queryable,
  channel: ChannelRow,
  viewer: string | null,
  query: MessageWindowQuery & { around_seq?: number },
  thread: string | null = null,
): Promise<{ messages: Message[]; has_more_before: boolean; has_more_after: boolean }> {
  const limit = query.limit ?? 50;
  const scope = `m.type = $3 and m.channel_id = $4 and m.seq > $5 and
    (($6::uuid is null and (m.parent_id is null or m.show_in_channel)) or m.parent_id = $6::uuid)`;
  const params: unknown[] = [channel.type, channel.id, channel.truncated_seq, thread];
  const page = (op: string | null, order: 'asc' | 'desc', n: number, value?: number) =>
    queryMessages(db, channel.app_id, viewer, op ? `${scope} and m.seq ${op} $7` : scope, op ? [...params, value] : params, `order by m.seq ${order} limit ${n}`);
  const any = async (op: string, value: number) => (await page(op, 'asc', 1, value)).length > 0;

  if (query.around_seq !== undefined) {
    const half = Math.floor(limit / 2);
    const before = await page('<', 'desc', half + 1, query.around_seq);
    const after = await page('>=', 'asc', limit - half + 1, query.around_seq);
    return {
      messages: [...before.slice(0, half).reverse(), ...after.slice(0, limit - half)],
      has_more_before: before.length > half,
      has_more_after: after.length > limit - half,
    };
  }
  if (query.after_seq !== undefined) {
    const rows = await page('>', 'asc', limit + 1, query.after_seq);
    return { messages: rows.slice(0, limit), has_more_before: await any('<=', query.after_seq), has_more_after: rows.length > limit };
  }
  if (query.before_seq !== undefined) {
    const rows = await page('<', 'desc', limit + 1, query.before_seq);
    return { messages: rows.slice(0, limit).reverse(), has_more_before: rows.length > limit, has_more_after: await any('>=', query.before_seq) };
  }
  const rows = await page(null, 'desc', limit + 1);
  return { messages: rows.slice(0, limit).reverse(), has_more_before: rows.length > limit, has_more_after: false };
}

/**
 * States for a page of channels, in the given order. `db` is one client (a read snapshot, so that
 * every query sees the same commits): its queries run one after another.
 */
export async function buildStates(db: Queryable, appId: string, viewer: string | null, channels: ChannelRow[], options: StateOptions): Promise<ChannelState[]> {
  if (channels.length === 0) return [];
  const types = channels.map((c) => c.type);
  const ids = channels.map((c) => c.id);
  const truncated = channels.map((c) => c.truncated_seq);
  const list = `unnest($3::text[], $4::text[], $5::bigint[]) as c(type, id, truncated_seq)`;
  const listParams = [types, ids, truncated];

  // The cursor first: a transaction committed after it is in the next sync (and maybe in this
  // state too); one committed before it is in this state. Taken concurrently with the reads, a
  // commit in between could be in neither.
  const cursor = options.cursor ?? (await currentSyncCursor(db));
  const messages =
    options.messageLimit > 0
      ? await db.query(
          `select x.* from ${list} cross join lateral (${messageSelect(`m.type = c.type and m.channel_id = c.id and m.seq > c.truncated_seq and ${VISIBLE}`, `order by m.seq desc limit ${options.messageLimit + 1}`)}) x`,
          [appId, viewer, ...listParams],
        )
      : { rows: [] };
  const pinned = await db.query(
    `select x.* from ${list} cross join lateral (${messageSelect(`m.type = c.type and m.channel_id = c.id and m.seq > c.truncated_seq and m.pinned_at is not null and m.deleted_at is null and (m.pin_expires_at is null or m.pin_expires_at > now())`, 'order by m.pinned_at desc limit 10')}) x`,
    [appId, viewer, ...listParams],
  );
  const members = await db.query<MemberRow>(
    `select x.* from ${list} cross join lateral (
       select cm.*, u.name as user_name, u.image as user_image from channel_members cm
       left join users u on u.app_id = cm.app_id and u.id = cm.user_id
       where cm.app_id = $1 and cm.type = c.type and cm.channel_id = c.id and $2::text is not distinct from $2::text
       order by cm.created_at, cm.user_id limit ${Math.max(options.memberLimit, 0)}) x`,
    [appId, viewer, ...listParams],
  );
  const own = viewer
    ? await db.query<MemberRow>(
        `select cm.*, u.name as user_name, u.image as user_image from channel_members cm
         left join users u on u.app_id = cm.app_id and u.id = cm.user_id
         where cm.app_id = $1 and cm.user_id = $2 and (cm.type, cm.channel_id) in (select type, id from unnest($3::text[], $4::text[]) as c(type, id))`,
        [appId, viewer, types, ids],
      )
    : { rows: [] as MemberRow[] };
  const unread = viewer ? await unreadCounts(db, appId, viewer, types, ids) : new Map<string, UnreadCount>();

  const byCid = <T extends { type: string; channel_id: string }>(rows: T[]) => {
    const map = new Map<string, T[]>();
    for (const row of rows) {
      const key = `${row.type}:${row.channel_id}`;
      let bucket = map.get(key);
      if (!bucket) map.set(key, (bucket = []));
      bucket.push(row);
    }
    return map;
  };
  const messagesBy = byCid(messages.rows as never[]);
  const pinnedBy = byCid(pinned.rows as never[]);
  const membersBy = byCid(members.rows);
  const ownBy = new Map(own.rows.map((r) => [`${r.type}:${r.channel_id}`, r]));

  return channels.map((channel) => {
    const cid = `${channel.type}:${channel.id}`;
    const channelMessages = (messagesBy.get(cid) ?? []).map((r) => toMessage(r as never));
    const channelMembers = membersBy.get(cid) ?? [];
    const membership = ownBy.get(cid) ?? null;
    const reads = channelMembers.map(toReadState);
    if (membership && !channelMembers.some((m) => m.user_id === membership.user_id)) reads.push(toReadState(membership));
    const counts = unread.get(cid) ?? { unread: 0, mentions: 0 };
    return {
      channel: toChannel(channel),
      members: channelMembers.map(toMember),
      member_count: channel.member_count,
      messages: channelMessages.slice(0, options.messageLimit).reverse(),
      has_more_before: channelMessages.length > options.messageLimit,
      has_more_after: false,
      pinned_messages: (pinnedBy.get(cid) ?? []).map((r) => toMessage(r as never)),
      membership: membership ? toMembership(membership) : null,
      read: reads,
      unread_count: membership ? counts.unread : 0,
      unread_mentions: membership ? counts.mentions : 0,
      cursor,
    };
  });
}

/**
 * Unread and unread-mention counts of a user, in one statement: for the given channels, or (no
 * list) for every channel of the user that has anything after the read pointer.
 */
export async function unreadCounts(db: Queryable, appId: string, userId: string, types?: string[], ids?: string[]): Promise<Map<string, UnreadCount>> {
  const result = await db.query<{ type: string; channel_id: string; last_read_seq: number; unread: number; mentions: number }>({
    name: types ? 'unread-counts-of' : 'unread-counts-all',
    text: unreadCountsSql({ listed: types !== undefined, mentions: true }),
    values: types ? [appId, userId, types, ids] : [appId, userId],
  });
  return new Map(result.rows.map((r) => [`${r.type}:${r.channel_id}`, { unread: r.unread, mentions: r.mentions, lastReadSeq: r.last_read_seq }]));
}

/**
 * The statement behind every unread count (`unreadCounts`, and GET /v1/me's totals in me.ts): one
 * row per channel of user $2 in app $1, `type, channel_id, last_read_seq, unread` (and `mentions`
 * when asked), for the channels listed in $3/$4 (types, ids) or, unlisted, for every channel with
 * anything after the read pointer. Unread is `UNREAD_CONDITION`, counted from the
 * `messages_unread` partial index; mentions come from one range scan over the user's flags.
 */
export function unreadCountsSql(options: { listed: boolean; mentions: boolean }): string {
  const scope = options.listed ? 'and (cm.type, cm.channel_id) in (select type, id from unnest($3::text[], $4::text[]) as x(type, id))' : 'and cm.last_read_seq < c.last_seq';
  const mine = `select cm.type, cm.channel_id, cm.last_read_seq, greatest(cm.last_read_seq, c.truncated_seq) as from_seq,
       (select count(*)::int from messages msg where ${UNREAD_CONDITION}) as unread
     from channel_members cm join channels c on c.app_id = cm.app_id and c.type = cm.type and c.id = cm.channel_id
     where cm.app_id = $1 and cm.user_id = $2 and c.deleted_at is null ${scope}`;
  if (!options.mentions) return mine;
  return `with mine as (${mine}), mentions as (
       select f.type, f.channel_id, count(*)::int as n
       from user_message_flags f
       join mine on mine.type = f.type and mine.channel_id = f.channel_id
       join messages msg on msg.app_id = f.app_id and msg.id = f.message_id
       where f.app_id = $1 and f.user_id = $2 and f.mentioned and f.seq > mine.from_seq
         and msg.deleted_at is null and (msg.parent_id is null or msg.show_in_channel) and msg.user_id is distinct from $2 and msg.kind <> 'system'
       group by f.type, f.channel_id
     )
     select mine.type, mine.channel_id, mine.last_read_seq, mine.unread, coalesce(mentions.n, 0) as mentions
     from mine left join mentions on mentions.type = mine.type and mentions.channel_id = mine.channel_id`;
}

export interface UnreadCount {
  unread: number;
  mentions: number;
  lastReadSeq: number;
}

/** The sync cursor for "now": events committed after this point are returned by /v1/sync. */
export async function currentSyncCursor(db: Queryable): Promise<string> {
  return encodeSyncCursor({ snapshot: await currentSnapshot(db), eventId: 0 });
}
