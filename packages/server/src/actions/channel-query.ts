/**
 * POST /v1/channels/query: the caller's channels matching a filter, sorted, keyset-paginated, each
 * with its state. A user sees the channels they belong to; a server token sees every channel.
 */
import type { QueryChannelsBody } from '@parley/protocol';
import { CHANNEL_COLUMNS, UNREAD_CONDITION, type ChannelRow } from '../db/channels.js';
import { validationError } from '../errors.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { compileFilter, SqlParams, type FieldSpec, type FilterSchema } from '../util/filter-sql.js';
import { afterCursor, cursorColumns, nextCursor, orderBy, type SortKey } from '../util/keyset.js';
import { buildStates, currentSyncCursor } from './channel-state.js';
import { readSnapshot } from '../db/pool.js';

const UNREAD_COUNT = `(select count(*) from messages msg where ${UNREAD_CONDITION})`;

function membersField(condition: unknown, params: SqlParams): string {
  const ops = typeof condition === 'object' && condition !== null && !Array.isArray(condition) ? (condition as Record<string, unknown>) : { $eq: condition };
  const parts = Object.entries(ops).map(([op, value]) => {
    const list = op === '$eq' ? [value] : value;
    if (!['$in', '$eq', '$nin'].includes(op) || !Array.isArray(list) || list.length === 0 || list.length > 100 || !list.every((v) => typeof v === 'string')) {
      throw validationError('filter.members', 'expects {"$in": [user ids]} (1 to 100 ids)');
    }
    const exists = `exists (select 1 from channel_members x where x.app_id = c.app_id and x.type = c.type and x.channel_id = c.id and x.user_id = any(${params.add(list, '::text[]')}))`;
    return op === '$nin' ? `not ${exists}` : exists;
  });
  return parts.length ? parts.join(' and ') : 'true';
}

const CHANNEL_FIELDS: Record<string, FieldSpec> = {
  type: { sql: 'c.type', type: 'text' },
  id: { sql: 'c.id', type: 'text' },
  cid: { sql: "(c.type || ':' || c.id)", type: 'text' },
  name: { sql: 'c.name', type: 'text', prefix: true },
  created_by: { sql: 'c.created_by', type: 'text' },
  frozen: { sql: 'c.frozen', type: 'boolean' },
  distinct: { sql: 'c.is_distinct', type: 'boolean' },
  last_message_at: { sql: 'c.last_message_at', type: 'timestamp' },
  created_at: { sql: 'c.created_at', type: 'timestamp' },
  updated_at: { sql: 'c.updated_at', type: 'timestamp' },
  member_count: { sql: 'c.member_count', type: 'number' },
  members: { sql: '', type: 'text', compile: membersField },
};

const MEMBERSHIP_FIELDS: Record<string, FieldSpec> = {
  hidden: { sql: 'cm.hidden', type: 'boolean' },
  archived: { sql: 'cm.archived', type: 'boolean' },
  starred: { sql: 'cm.starred', type: 'boolean' },
  muted: { sql: '(cm.muted_until is not null and cm.muted_until > now())', type: 'boolean' },
  has_unread: { sql: `exists (select 1 from messages msg where ${UNREAD_CONDITION})`, type: 'boolean' },
  joined_at: { sql: 'cm.created_at', type: 'timestamp' },
};

const SORTS: Record<string, { sql: string; cast: string; membership?: boolean }> = {
  last_message_at: { sql: "coalesce(c.last_message_at, c.created_at)", cast: '::timestamptz' },
  created_at: { sql: 'c.created_at', cast: '::timestamptz' },
  updated_at: { sql: 'c.updated_at', cast: '::timestamptz' },
  member_count: { sql: 'c.member_count', cast: '::integer' },
  unread_count: { sql: UNREAD_COUNT, cast: '::bigint', membership: true },
};

/** Whether the filter names `name` as a field (at any depth of $and / $or), not merely as a value. */
function mentionsField(filter: unknown, name: string): boolean {
  if (Array.isArray(filter)) return filter.some((f) => mentionsField(f, name));
  if (typeof filter !== 'object' || filter === null) return false;
  return Object.entries(filter).some(([key, value]) => key === name || ((key === '$and' || key === '$or') && mentionsField(value, name)));
}

export async function doQueryChannels(services: Services, auth: AppAuth, body: QueryChannelsBody) {
  const viewer = auth.user?.id ?? null;
  const limit = body.limit ?? 30;
  const params = new SqlParams([auth.appId, viewer]);
  const schema: FilterSchema = { fields: viewer ? { ...CHANNEL_FIELDS, ...MEMBERSHIP_FIELDS } : CHANNEL_FIELDS, customColumn: 'c.custom' };
  const filter = body.filter ?? {};
  const condition = compileFilter(filter, schema, params);
  const sortSpec = body.sort?.length ? body.sort : [{ field: 'last_message_at', direction: -1 as const }];
  const keys: SortKey[] = sortSpec.map((s, i) => {
    const sort = Object.prototype.hasOwnProperty.call(SORTS, s.field) ? SORTS[s.field] : undefined;
    if (!sort || (sort.membership && !viewer)) throw validationError(`sort[${i}].field`, `cannot sort on "${s.field}"; use ${Object.keys(SORTS).join(', ')}`);
    return { sql: sort.sql, cast: sort.cast, direction: s.direction };
  });
  const last = keys[keys.length - 1]!.direction;
  keys.push({ sql: 'c.type', cast: '::text', direction: last }, { sql: 'c.id', cast: '::text', direction: last });
  const hiddenByDefault = viewer && !mentionsField(filter, 'hidden') ? 'and not cm.hidden' : '';
  const sql = `select ${CHANNEL_COLUMNS.split(', ').map((col) => 'c.' + col).join(', ')}, ${cursorColumns(keys)}
    from channels c
    ${viewer ? 'join channel_members cm on cm.app_id = c.app_id and cm.type = c.type and cm.channel_id = c.id and cm.user_id = $2' : ''}
    where c.app_id = $1 and c.deleted_at is null ${viewer ? '' : 'and $2::text is null'} ${hiddenByDefault}
      and (${condition}) and ${afterCursor(keys, body.cursor, params)}
    order by ${orderBy(keys)} limit ${limit + 1}`;
  return readSnapshot(services.pool, async (db) => {
    const cursor = await currentSyncCursor(db);
    const rows = (await db.query<ChannelRow & Record<string, unknown>>(sql, params.values)).rows;
    const page = rows.slice(0, limit);
    const channels = await buildStates(db, auth.appId, viewer, page, { messageLimit: body.message_limit ?? 25, memberLimit: body.member_limit ?? 10, cursor });
    return { channels, next: nextCursor(keys, rows, limit) };
  });
}
