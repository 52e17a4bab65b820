import { createHash } from 'node:crypto';
import type pg from 'pg';
import { inTransaction, type Queryable } from './pool.js';

/**
 * Serialises the writers of one channel (a transaction-scoped advisory lock keyed by the channel):
 * seqs, read pointers, idempotency checks and member limits are decided under it. Taken before any
 * other statement, so every writer of a channel sees the state its predecessor committed.
 * See docs/subsystems/events.md.
 */
export function channelLockKey(appId: string, type: string, id: string): string {
  // 64-bit signed key from a hash of the channel address; a collision only adds serialisation.
  return createHash('sha256').update(`${appId}/${type}/${id}`).digest().readBigInt64BE(0).toString();
}

export async function lockChannel(db: Queryable, appId: string, type: string, id: string): Promise<void> {
  await db.query({ name: 'channel-lock', text: 'select pg_advisory_xact_lock($1::bigint)', values: [channelLockKey(appId, type, id)] });
}

/**
 * Runs `fn` in a transaction that starts holding the channel's lock. `begin` and the lock travel
 * in one round trip (a simple-protocol batch; the key is a number we computed, never user text).
 */
export function inChannelTransaction<T>(pool: pg.Pool, appId: string, type: string, id: string, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, `begin; select pg_advisory_xact_lock(${channelLockKey(appId, type, id)})`, fn);
}
