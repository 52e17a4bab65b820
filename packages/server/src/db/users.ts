import type { User } from '@parley/protocol';
import type { Queryable } from './pool.js';

export interface UserRow {
  app_id: string;
  id: string;
  name: string | null;
  image: string | null;
  role: string;
  custom: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  deactivated_at: Date | null;
  deleted_at: Date | null;
  last_active_at: Date | null;
  banned_at: Date | null;
  banned_until: Date | null;
  ban_shadow: boolean;
  ban_reason: string | null;
}

export const USER_COLUMNS =
  'app_id, id, name, image, role, custom, created_at, updated_at, deactivated_at, deleted_at, last_active_at, banned_at, banned_until, ban_shadow, ban_reason';

/** The user's app-wide ban in force, if any (the row may be cached for a moment: checked against now). */
export function appBanOf(row: Pick<UserRow, 'banned_at' | 'banned_until' | 'ban_shadow'> | null | undefined): 'hard' | 'shadow' | null {
  if (!row?.banned_at || (row.banned_until && row.banned_until.getTime() <= Date.now())) return null;
  return row.ban_shadow ? 'shadow' : 'hard';
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The public shape of a user. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    name: row.name,
    image: row.image,
    role: row.role,
    custom: row.custom,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    deactivated_at: iso(row.deactivated_at),
    deleted_at: iso(row.deleted_at),
    last_active_at: iso(row.last_active_at),
    // A shadow ban is never shown: the user must not find out (moderation.md).
    banned: appBanOf(row) === 'hard',
  };
}

export async function findUser(db: Queryable, appId: string, id: string): Promise<UserRow | undefined> {
  const result = await db.query<UserRow>(`select ${USER_COLUMNS} from users where app_id = $1 and id = $2`, [appId, id]);
  return result.rows[0];
}

/**
 * Creates the user on first sight of a valid token; an existing row is left as it is. Two
 * statements: under concurrent first requests the insert may lose the race, and a CTE cannot
 * see the winner's row in the same statement.
 */
export async function ensureUser(db: Queryable, appId: string, id: string): Promise<UserRow> {
  const inserted = await db.query<UserRow>(`insert into users (app_id, id) values ($1, $2) on conflict (app_id, id) do nothing returning ${USER_COLUMNS}`, [appId, id]);
  if (inserted.rows[0]) return inserted.rows[0];
  const existing = await findUser(db, appId, id);
  if (!existing) throw new Error(`user ${id} vanished while being created`);
  return existing;
}

export async function wasHardDeleted(db: Queryable, appId: string, id: string): Promise<boolean> {
  const result = await db.query('select 1 from deleted_users where app_id = $1 and id = $2', [appId, id]);
  return (result.rowCount ?? 0) > 0;
}
