/** Channel types: built-in defaults plus the app's stored overrides. */
import { BUILTIN_CHANNEL_TYPE_NAMES, resolveChannelType, type ChannelTypeDefinition, type Grants, type PutChannelTypeBody } from '@parley/protocol';
import type pg from 'pg';
import type { Queryable } from '../db/pool.js';
import { notFound } from '../errors.js';

interface StoredType {
  name: string;
  config: Record<string, unknown>;
  grants: Grants | null;
}

export async function listChannelTypes(db: Queryable, appId: string): Promise<ChannelTypeDefinition[]> {
  const stored = (await db.query<StoredType>('select name, config, grants from channel_types where app_id = $1 order by name', [appId])).rows;
  const byName = new Map(stored.map((s) => [s.name, s]));
  const names = [...BUILTIN_CHANNEL_TYPE_NAMES, ...stored.map((s) => s.name).filter((n) => !BUILTIN_CHANNEL_TYPE_NAMES.includes(n))];
  return names.map((name) => resolveChannelType(name, byName.get(name)));
}

/** The effective type, or NOT_FOUND for a name that is neither built in nor defined by the app. */
export async function getChannelType(db: Queryable, appId: string, name: string): Promise<ChannelTypeDefinition> {
  const row = (await db.query<StoredType>('select name, config, grants from channel_types where app_id = $1 and name = $2', [appId, name])).rows[0];
  if (!row && !BUILTIN_CHANNEL_TYPE_NAMES.includes(name)) throw notFound('channel type');
  return resolveChannelType(name, row);
}

/** A partial `config` merges into the stored overrides; `grants`, when given, replaces them. */
export async function putChannelType(pool: pg.Pool, appId: string, name: string, body: PutChannelTypeBody): Promise<ChannelTypeDefinition> {
  const result = await pool.query<StoredType>(
    `insert into channel_types (app_id, name, config, grants) values ($1, $2, $3, $4)
     on conflict (app_id, name) do update set
       config = channel_types.config || excluded.config,
       grants = coalesce($4, channel_types.grants),
       updated_at = now()
     returning name, config, grants`,
    [appId, name, body.config ?? {}, body.grants ? JSON.stringify(body.grants) : null],
  );
  return resolveChannelType(name, result.rows[0]);
}
