/** Operator and app-settings actions: apps, their keys, their settings. */
import type { AppSettings, CreateAppResponse, KeyWithSecret, PatchAppBody } from '@parley/protocol';
import { BUILTIN_APP_ROLES } from '@parley/protocol';
import type pg from 'pg';
import { countKeys, deleteKey, findApp, insertApp, insertKey, listApps, listKeys, updateApp, type AppRow } from '../db/apps.js';
import { transaction } from '../db/pool.js';
import { DEFAULT_LIMITS } from '../engines/rate-limiter.js';
import { jwksUrlProblem } from '../auth/jwks-fetch.js';
import { ApiError, notFound, validationError } from '../errors.js';
import type { Services } from '../services.js';
import { newAppId, newKeyId, newSecret } from '../util/ids.js';

export function appSummary(row: AppRow) {
  return { id: row.app_id, name: row.name, created_at: row.created_at.toISOString() };
}

export async function doCreateApp(pool: pg.Pool, name: string): Promise<CreateAppResponse> {
  return transaction(pool, async (tx) => {
    const app = await insertApp(tx, newAppId(), name);
    const key = await insertKey(tx, app.app_id, newKeyId(app.app_id), newSecret());
    return { app: appSummary(app), key_id: key.key_id, secret: key.secret };
  });
}

export async function doListApps(pool: pg.Pool) {
  const apps = await listApps(pool);
  const keys = await listKeys(pool, apps.map((a) => a.app_id));
  return {
    apps: apps.map((app) => ({
      ...appSummary(app),
      keys: keys.filter((k) => k.app_id === app.app_id).map((k) => ({ key_id: k.key_id, created_at: k.created_at.toISOString() })),
    })),
  };
}

export async function doCreateKey(pool: pg.Pool, appId: string): Promise<KeyWithSecret> {
  if (!(await findApp(pool, appId))) throw notFound('app');
  const key = await insertKey(pool, appId, newKeyId(appId), newSecret());
  return { key_id: key.key_id, secret: key.secret, created_at: key.created_at.toISOString() };
}

/** Deletes a key. Callers with a KeyStore forget it so its tokens stop at once on this node (others: ≤ 2 s). */
export async function doDeleteKey(pool: pg.Pool, appId: string, keyId: string): Promise<void> {
  await transaction(pool, async (tx) => {
    // Lock the app row so two concurrent deletes cannot remove the last two keys.
    const app = await tx.query('select 1 from apps where app_id = $1 for update', [appId]);
    if (app.rowCount === 0) throw notFound('app');
    if ((await countKeys(tx, appId)) <= 1) {
      const exists = await tx.query('select 1 from app_keys where app_id = $1 and key_id = $2', [appId, keyId]);
      if (exists.rowCount === 0) throw notFound('key');
      throw new ApiError('CONFLICT', 'cannot delete the last key of an app; create another first');
    }
    if (!(await deleteKey(tx, appId, keyId))) throw notFound('key');
  });
}

export function appRoles(settings: AppSettings): string[] {
  return [...BUILTIN_APP_ROLES, ...(settings.roles ?? []).filter((r) => !(BUILTIN_APP_ROLES as readonly string[]).includes(r))];
}

export function appDetail(row: AppRow) {
  return {
    app: {
      ...appSummary(row),
      settings: row.settings as Record<string, unknown>,
      effective_limits: { ...DEFAULT_LIMITS, ...(row.settings.limits ?? {}) },
      roles: appRoles(row.settings),
    },
  };
}

export async function doGetApp(pool: pg.Pool, appId: string) {
  const row = await findApp(pool, appId);
  if (!row) throw notFound('app');
  return appDetail(row);
}

/** Settings merge one level deep: `limits` merges key by key; other keys replace. */
export async function doPatchApp(services: Services, appId: string, body: PatchAppBody) {
  // Refused up front where the operator's JWKS policy already says no (the fetch checks again).
  for (const [i, provider] of (body.settings?.auth_providers ?? []).entries()) {
    const problem = jwksUrlProblem(provider.jwks_url, services.config.jwksPolicy);
    if (problem) throw validationError(`settings.auth_providers[${i}].jwks_url`, problem);
  }
  const row = await transaction(services.pool, async (tx) => {
    const current = await tx.query<AppRow>('select app_id, name, settings, created_at from apps where app_id = $1 for update', [appId]);
    const app = current.rows[0];
    if (!app) throw notFound('app');
    const patch = body.settings ?? {};
    const settings: AppSettings = { ...app.settings, ...patch };
    if (patch.limits) settings.limits = { ...(app.settings.limits ?? {}), ...patch.limits };
    return updateApp(tx, appId, body.name, settings);
  });
  services.apps.forget(appId);
  return appDetail(row);
}
