/** Blocks: a blocked pair cannot message each other in a distinct (1:1 or group DM) channel (seed 004). */
import { findUser } from '../db/users.js';
import { notFound, validationError } from '../errors.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';

export async function doBlock(services: Services, auth: AppAuth, target: string, blocked: boolean) {
  const userId = auth.user!.id;
  if (target === userId) throw validationError('user_id', 'you cannot block yourself');
  if (blocked) {
    const user = await findUser(services.pool, auth.appId, target);
    if (!user || user.deleted_at) throw notFound('user');
    await services.pool.query('insert into user_blocks (app_id, user_id, blocked_user_id) values ($1, $2, $3) on conflict do nothing', [auth.appId, userId, target]);
  } else {
    const removed = await services.pool.query('delete from user_blocks where app_id = $1 and user_id = $2 and blocked_user_id = $3', [auth.appId, userId, target]);
    if (removed.rowCount === 0) throw notFound('block');
  }
  return listBlocks(services, auth.appId, userId);
}

export async function listBlocks(services: Services, appId: string, userId: string) {
  const rows = await services.pool.query<{ blocked_user_id: string; created_at: Date }>(
    'select blocked_user_id, created_at from user_blocks where app_id = $1 and user_id = $2 order by created_at, blocked_user_id',
    [appId, userId],
  );
  return { blocks: rows.rows.map((r) => ({ user_id: r.blocked_user_id, created_at: r.created_at.toISOString() })) };
}
