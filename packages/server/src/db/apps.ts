import type { AppSettings } from '@parley/protocol';
import type { Queryable } from './pool.js';

export interface AppRow {
  app_id: string;
  name: string;
  settings: AppSettings;
  created_at: Date;
}

export interface KeyRow {
  app_id: string;
  key_id: string;
  secret: string;
  created_at: Date;
}

export async function insertApp(db: Queryable, appId: string, name: string): Promise<AppRow> {
  const result = await db.query<AppRow>(
    'insert into apps (app_id, name) values ($1, $2) returning app_id, name, settings, created_at',
    [appId, name],
  );
  return result.rows[0]!;
}

export async function findApp(db: Queryable, appId: string): Promise<AppRow | undefined> {
  const result = await db.query<AppRow>('select app_id, name, settings, created_at from apps where app_id = $1', [appId]);
  return result.rows[0];
}

export async function listApps(db: Queryable): Promise<AppRow[]> {
  return (await db.query<AppRow>('select app_id, name, settings, created_at from apps order by created_at, app_id')).rows;
}

export async function updateApp(db: Queryable, appId: string, name: string | undefined, settings: AppSettings): Promise<AppRow> {
  const result = await db.query<AppRow>(
    `update apps set name = coalesce($2, name), settings = $3, updated_at = now()
     where app_id = $1 returning app_id, name, settings, created_at`,
    [appId, name ?? null, settings],
  );
  return result.rows[0]!;
}

export async function insertKey(db: Queryable, appId: string, keyId: string, secret: string): Promise<KeyRow> {
  const result = await db.query<KeyRow>(
    'insert into app_keys (app_id, key_id, secret) values ($1, $2, $3) returning app_id, key_id, secret, created_at',
    [appId, keyId, secret],
  );
  return result.rows[0]!;
}

export async function findKey(db: Queryable, appId: string, keyId: string): Promise<KeyRow | undefined> {
  const result = await db.query<KeyRow>(
    'select app_id, key_id, secret, created_at from app_keys where app_id = $1 and key_id = $2',
    [appId, keyId],
  );
  return result.rows[0];
}

export async function listKeys(db: Queryable, appIds: string[]): Promise<KeyRow[]> {
  const result = await db.query<KeyRow>(
    'select app_id, key_id, secret, created_at from app_keys where app_id = any($1::text[]) order by app_id, created_at',
    [appIds],
  );
  return result.rows;
}

export async function deleteKey(db: Queryable, appId: string, keyId: string): Promise<boolean> {
  const result = await db.query('delete from app_keys where app_id = $1 and key_id = $2', [appId, keyId]);
  return (result.rowCount ?? 0) > 0;
}

export async function countKeys(db: Queryable, appId: string): Promise<number> {
  const result = await db.query<{ count: string }>('select count(*) from app_keys where app_id = $1', [appId]);
  return Number(result.rows[0]!.count);
}
