/**
 * App-wide bans (docs/subsystems/moderation.md "App-wide bans"), for a server token or an app
 * admin: hard — the user keeps reading but may not write anywhere (USER_BANNED); shadow — what
 * they send anywhere is theirs alone, as with a channel shadow ban. Kept on the user row, read
 * with it on every request (the per-node user cache is dropped on every node at once).
 */
import type { AppBanBody, User } from '@parley/protocol';
import { findUser, toUser, USER_COLUMNS, type UserRow } from '../db/users.js';
import { notFound, permissionDenied, validationError } from '../errors.js';
import { publishControl } from '../events/control.js';
import { isAppAdmin, type AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';

async function requireAdmin(services: Services, auth: AppAuth, id: string): Promise<void> {
  if (isAppAdmin(auth)) return;
  // Missing and forbidden look the same to those who may not ban.
  if (await findUser(services.pool, auth.appId, id)) throw permissionDenied('only a server token or an app admin may ban from the app');
  throw notFound('user');
}

async function setBan(services: Services, auth: AppAuth, id: string, sql: string, values: unknown[]): Promise<User> {
  const result = await services.pool.query<UserRow>(`update users set ${sql}, updated_at = now() where app_id = $1 and id = $2 and deleted_at is null returning ${USER_COLUMNS}`, [
    auth.appId,
    id,
    ...values,
  ]);
  const row = result.rows[0];
  if (!row) throw notFound('user');
  services.authenticator.forgetUser(auth.appId, id);
  // Every node drops its cached row of the user (their next action sees the ban).
  await publishControl(services.broker, auth.appId, { type: 'control.access_changed', user_ids: [id] }, services.log);
  return toUser(row);
}

export async function doBanFromApp(services: Services, auth: AppAuth, id: string, body: AppBanBody): Promise<{ user: User }> {
  await requireAdmin(services, auth, id);
  if (auth.user?.id === id) throw validationError('id', 'you cannot ban yourself');
  const user = await setBan(
    services,
    auth,
    id,
    `banned_at = now(), banned_until = case when $3::int is null then null else now() + make_interval(secs => $3::int) end, ban_shadow = $4, ban_reason = $5`,
    [body.timeout ?? null, body.shadow === true, body.reason ?? null],
  );
  return { user };
}

export async function doUnbanFromApp(services: Services, auth: AppAuth, id: string): Promise<{ user: User }> {
  await requireAdmin(services, auth, id);
  return { user: await setBan(services, auth, id, 'banned_at = null, banned_until = null, ban_shadow = false, ban_reason = null', []) };
}
