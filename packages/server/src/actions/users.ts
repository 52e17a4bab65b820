/** User actions: upsert, query, update, deactivate/reactivate, delete. See docs/subsystems/users.md. */
import type { DeleteUserQuery, QueryUsersQuery, UpdateUserBody, User, UserInput } from '@parley/protocol';
import { BUILTIN_MEMBER_ROLES, SELF_EDITABLE_USER_FIELDS } from '@parley/protocol';
import { findApp } from '../db/apps.js';
import { transaction, type Queryable } from '../db/pool.js';
import { findUser, toUser, USER_COLUMNS, type UserRow } from '../db/users.js';
import { notFound, permissionDenied, validationError } from '../errors.js';
import { publishControl } from '../events/control.js';
import type { AppAuth } from '../http/guards.js';
import { isAppAdmin } from '../http/guards.js';
import type { Services } from '../services.js';
import { compileFilter, parseJsonParam, SqlParams, type FilterSchema } from '../util/filter-sql.js';
import { afterCursor, cursorColumns, nextCursor, orderBy, type SortKey } from '../util/keyset.js';
import { appRoles } from './apps.js';

async function checkRoles(db: Queryable, appId: string, roles: Array<{ role: string | undefined; field: string }>): Promise<void> {
  const wanted = roles.filter((r) => r.role !== undefined);
  if (wanted.length === 0) return;
  const app = await findApp(db, appId);
  const known = appRoles(app?.settings ?? {});
  for (const { role, field } of wanted) {
    // `owner`, `moderator`, `member` are channel member roles; as an app role they would grant
    // their channel permissions in every channel of the app.
    if ((BUILTIN_MEMBER_ROLES as readonly string[]).includes(role!)) throw validationError(field, `"${role}" is a channel member role, not an app role`);
    if (!known.includes(role!)) throw validationError(field, `unknown role "${role}"; define custom roles in the app settings "roles"`);
  }
}

/** Batch upsert: fields left out keep their stored value. */
export async function doUpsertUsers(services: Services, appId: string, users: UserInput[]): Promise<User[]> {
  const seen = new Set<string>();
  users.forEach((u, i) => {
    if (seen.has(u.id)) throw validationError(`users[${i}].id`, `duplicate id "${u.id}" in one call`);
    seen.add(u.id);
  });
  await checkRoles(services.pool, appId, users.map((u, i) => ({ role: u.role, field: `users[${i}].role` })));
  const rows = users.map((u) => ({
    id: u.id,
    name: u.name ?? null,
    image: u.image ?? null,
    role: u.role ?? 'user',
    custom: u.custom ?? {},
    has_name: 'name' in u,
    has_image: 'image' in u,
    has_role: 'role' in u,
    has_custom: 'custom' in u,
  }));
  // Two steps in one transaction: make sure every row exists, then apply only the given fields.
  const result = await transaction(services.pool, async (tx) => {
    const input = `jsonb_to_recordset($2::jsonb) as r(id text, name text, image text, role text, custom jsonb,
      has_name boolean, has_image boolean, has_role boolean, has_custom boolean)`;
    await tx.query(`insert into users (app_id, id) select $1, r.id from ${input} on conflict (app_id, id) do nothing`, [appId, JSON.stringify(rows)]);
    // An explicit upsert re-creates a hard-deleted id.
    await tx.query('delete from deleted_users where app_id = $1 and id = any($2::text[])', [appId, rows.map((r) => r.id)]);
    return tx.query<UserRow>(
      `update users u set
         name = case when r.has_name then r.name else u.name end,
         image = case when r.has_image then r.image else u.image end,
         role = case when r.has_role then r.role else u.role end,
         custom = case when r.has_custom then r.custom else u.custom end,
         updated_at = now()
       from ${input}
       where u.app_id = $1 and u.id = r.id
       returning ${USER_COLUMNS.split(', ').map((c) => 'u.' + c).join(', ')}`,
      [appId, JSON.stringify(rows)],
    );
  });
  for (const u of users) services.authenticator.forgetUser(appId, u.id);
  const roleChanged = users.filter((u) => 'role' in u).map((u) => u.id);
  if (roleChanged.length > 0) await publishControl(services.broker, appId, { type: 'control.access_changed', user_ids: roleChanged }, services.log);
  const byId = new Map(result.rows.map((r) => [r.id, r]));
  return users.map((u) => toUser(byId.get(u.id)!));
}

const USER_FILTER: FilterSchema = {
  fields: {
    id: { sql: 'id', type: 'text' },
    role: { sql: 'role', type: 'text' },
    name: { sql: 'name', type: 'text', prefix: true },
    created_at: { sql: 'created_at', type: 'timestamp' },
    updated_at: { sql: 'updated_at', type: 'timestamp' },
    last_active_at: { sql: 'last_active_at', type: 'timestamp' },
    deactivated_at: { sql: 'deactivated_at', type: 'timestamp' },
  },
  customColumn: 'custom',
};

const USER_SORTS: Record<string, { sql: string; cast: string }> = {
  id: { sql: 'id', cast: '::text' },
  name: { sql: "coalesce(lower(name), '')", cast: '::text' },
  role: { sql: 'role', cast: '::text' },
  created_at: { sql: 'created_at', cast: '::timestamptz' },
  updated_at: { sql: 'updated_at', cast: '::timestamptz' },
  last_active_at: { sql: "coalesce(last_active_at, 'epoch'::timestamptz)", cast: '::timestamptz' },
};

function parseSort(raw: string | undefined): SortKey[] {
  let spec: Array<{ field: string; direction: 1 | -1 }> = [{ field: 'created_at', direction: 1 }];
  if (raw) {
    if (raw.startsWith('[') || raw.startsWith('{')) {
      const json = parseJsonParam(raw, 'sort');
      // A single {field, direction} is a list of one.
      const parsed = Array.isArray(json) ? json : [json];
      if (parsed.length === 0 || parsed.length > 3) throw validationError('sort', 'expects 1 to 3 {field, direction}');
      spec = parsed.map((s, i) => {
        if (typeof s !== 'object' || s === null || typeof s.field !== 'string' || (s.direction !== 1 && s.direction !== -1)) {
          throw validationError(`sort[${i}]`, 'expects {field, direction: 1 | -1}');
        }
        return { field: s.field as string, direction: s.direction as 1 | -1 };
      });
    } else {
      spec = [{ field: raw.replace(/^-/, ''), direction: raw.startsWith('-') ? -1 : 1 }];
    }
  }
  const keys = spec.map((s, i) => {
    const sort = Object.prototype.hasOwnProperty.call(USER_SORTS, s.field) ? USER_SORTS[s.field] : undefined;
    if (!sort) throw validationError(`sort[${i}].field`, `cannot sort on "${s.field}"; use ${Object.keys(USER_SORTS).join(', ')}`);
    return { ...sort, direction: s.direction };
  });
  if (!spec.some((s) => s.field === 'id')) keys.push({ ...USER_SORTS.id!, direction: keys[keys.length - 1]!.direction });
  return keys;
}

export async function doQueryUsers(services: Services, auth: AppAuth, query: QueryUsersQuery) {
  const limit = query.limit ?? 30;
  const params = new SqlParams([auth.appId]);
  const filter = parseJsonParam(query.filter, 'filter') ?? {};
  const condition = compileFilter(filter, USER_FILTER, params);
  const keys = parseSort(query.sort);
  const showInactive = query.include_deactivated === true && isAppAdmin(auth);
  const sql = `select ${USER_COLUMNS}, ${cursorColumns(keys)} from users
    where app_id = $1 and deleted_at is null ${showInactive ? '' : 'and deactivated_at is null'}
      and (${condition}) and ${afterCursor(keys, query.cursor, params)}
    order by ${orderBy(keys)} limit ${limit + 1}`;
  let rows: Array<UserRow & Record<string, unknown>>;
  try {
    rows = (await services.pool.query<UserRow & Record<string, unknown>>(sql, params.values)).rows;
  } catch (error) {
    // Class 22 (data exception): a value PostgreSQL cannot read as its column type. Filter values
    // are checked beforehand, so it comes from a tampered cursor.
    if (typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('22')) {
      throw validationError(query.cursor ? 'cursor' : 'filter', 'holds a value of the wrong type');
    }
    throw error;
  }
  return { users: rows.slice(0, limit).map(toUser), next: nextCursor(keys, rows, limit) };
}

/** Every user of the app may see every other (to start a DM); hard-deleted ones are gone. */
export async function doGetUser(services: Services, auth: AppAuth, id: string): Promise<User> {
  const row = await findUser(services.pool, auth.appId, id);
  if (!row || (row.deactivated_at && !isAppAdmin(auth) && auth.user?.id !== id)) throw notFound('user');
  return toUser(row);
}

/** Self: name, image, custom. Server token and app admins: anything, role included. */
export async function doUpdateUser(services: Services, auth: AppAuth, id: string, body: UpdateUserBody): Promise<User> {
  const admin = isAppAdmin(auth);
  if (!admin) {
    if (auth.user?.id !== id) {
      const target = await findUser(services.pool, auth.appId, id);
      if (!target || target.deactivated_at) throw notFound('user');
      throw permissionDenied('you may only update your own user');
    }
    for (const field of Object.keys(body)) {
      if (!(SELF_EDITABLE_USER_FIELDS as readonly string[]).includes(field)) throw validationError(field, 'may only be set by a server token');
    }
  }
  await checkRoles(services.pool, auth.appId, [{ role: body.role, field: 'role' }]);
  // custom merges key by key; a key set to null is removed.
  const result = await services.pool.query<UserRow>(
    `update users set
       name = case when $3 then $4 else name end,
       image = case when $5 then $6 else image end,
       role = coalesce($7, role),
       custom = case when $8::jsonb is null then custom
                else (custom || $8::jsonb) - array(select key from jsonb_each($8::jsonb) where value = 'null'::jsonb) end,
       updated_at = now()
     where app_id = $1 and id = $2 and deleted_at is null returning ${USER_COLUMNS}`,
    [auth.appId, id, 'name' in body, body.name ?? null, 'image' in body, body.image ?? null, body.role ?? null, body.custom ? JSON.stringify(body.custom) : null],
  );
  const row = result.rows[0];
  if (!row) throw notFound('user');
  services.authenticator.forgetUser(auth.appId, id);
  // A new app role may take away read grants: the user's subscriptions are checked again.
  if (body.role !== undefined) await publishControl(services.broker, auth.appId, { type: 'control.access_changed', user_ids: [id] }, services.log);
  return toUser(row);
}

export async function doSetDeactivated(services: Services, auth: AppAuth, id: string, deactivated: boolean): Promise<User> {
  if (!isAppAdmin(auth)) {
    if (await findUser(services.pool, auth.appId, id)) throw permissionDenied('only a server token or an app admin may do this');
    throw notFound('user');
  }
  const result = await services.pool.query<UserRow>(
    `update users set deactivated_at = ${deactivated ? 'coalesce(deactivated_at, now())' : 'null'}, updated_at = now()
     where app_id = $1 and id = $2 and deleted_at is null returning ${USER_COLUMNS}`,
    [auth.appId, id],
  );
  const row = result.rows[0];
  if (!row) throw notFound('user');
  services.authenticator.forgetUser(auth.appId, id);
  // Open WebSocket connections of the user close within a second, on every node.
  if (deactivated) await publishControl(services.broker, auth.appId, { type: 'control.user_disabled', user_id: id, reason: 'deactivated' }, services.log);
  return toUser(row);
}

/**
 * Soft delete keeps the row (messages still show their author) but anonymises it and blocks
 * login; hard delete removes it. `messages` (keep|soft|hard) applies to the user's messages
 * once the messages table exists (conversations issue).
 */
export async function doDeleteUser(services: Services, auth: AppAuth, id: string, query: DeleteUserQuery): Promise<{ user: User | null }> {
  if (!isAppAdmin(auth)) {
    if (await findUser(services.pool, auth.appId, id)) throw permissionDenied('only a server token or an app admin may delete users');
    throw notFound('user');
  }
  const mode = query.mode ?? 'soft';
  const row = await transaction(services.pool, async (tx) => {
    if (mode === 'hard') {
      const deleted = await tx.query<UserRow>(`delete from users where app_id = $1 and id = $2 returning ${USER_COLUMNS}`, [auth.appId, id]);
      if (deleted.rows[0]) await tx.query('insert into deleted_users (app_id, id) values ($1, $2) on conflict do nothing', [auth.appId, id]);
      return deleted.rows[0] ? null : undefined;
    }
    const updated = await tx.query<UserRow>(
      `update users set deleted_at = coalesce(deleted_at, now()), name = null, image = null, custom = '{}', updated_at = now()
       where app_id = $1 and id = $2 returning ${USER_COLUMNS}`,
      [auth.appId, id],
    );
    return updated.rows[0];
  });
  if (row === undefined) throw notFound('user');
  services.authenticator.forgetUser(auth.appId, id);
  await publishControl(services.broker, auth.appId, { type: 'control.user_disabled', user_id: id, reason: 'deleted' }, services.log);
  return { user: row ? toUser(row) : null };
}
