/** Channel types: built-in defaults plus the app's stored overrides. */
import {
  BUILTIN_CHANNEL_TYPE_NAMES,
  resolveChannelType,
  type ChannelTypeConfig,
  type ChannelTypeDefinition,
  type Grants,
  type PutChannelTypeBody,
} from '@parley/protocol';
import type pg from 'pg';
import { transaction, type Queryable } from '../db/pool.js';
import { notFound, validationError } from '../errors.js';

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

/**
 * A partial `config` merges into the stored overrides; `grants`, when given, replaces them. The
 * effective config after the merge is checked (min_members ≤ max_members) before anything is written.
 */
export async function putChannelType(pool: pg.Pool, appId: string, name: string, body: PutChannelTypeBody): Promise<ChannelTypeDefinition> {
  return transaction(pool, async (tx) => {
    // Make sure the row exists and lock it, so two concurrent PUTs merge one after the other.
    await tx.query(`insert into channel_types (app_id, name) values ($1, $2) on conflict (app_id, name) do nothing`, [appId, name]);
    const current = (await tx.query<StoredType>('select name, config, grants from channel_types where app_id = $1 and name = $2 for update', [appId, name])).rows[0]!;
    const config = { ...(current.config ?? {}), ...(body.config ?? {}) };
    const grants = body.grants ?? current.grants;
    const effective = resolveChannelType(name, { config, grants });
    checkConfig(effective.config);
    const result = await tx.query<StoredType>(
      `update channel_types set config = $3::jsonb, grants = $4::jsonb, updated_at = now()
       where app_id = $1 and name = $2 returning name, config, grants`,
      [appId, name, JSON.stringify(config), grants ? JSON.stringify(grants) : null],
    );
    return resolveChannelType(name, result.rows[0]);
  });
}

function checkConfig(config: ChannelTypeConfig): void {
  const { min_members: min, max_members: max } = config;
  if (min !== null && max !== null && min > max) {
    throw validationError('config.min_members', `min_members (${min}) is greater than max_members (${max})`);
  }
}
