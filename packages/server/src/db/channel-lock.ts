import type { Queryable } from './pool.js';

/**
 * Serialises writers of one channel. Must be the FIRST statement of a transaction that writes
 * channel events: an advisory lock assigns no transaction id, so the txid is assigned after the
 * lock is held, which makes txid order equal seq order per channel. /v1/sync relies on that to
 * return each channel's events in seq order (docs/subsystems/events.md).
 */
export async function lockChannel(db: Queryable, appId: string, type: string, id: string): Promise<void> {
  await db.query({ name: 'channel-lock', text: 'select pg_advisory_xact_lock(hashtextextended($1, 7261))', values: [`${appId}/${type}/${id}`] });
}
