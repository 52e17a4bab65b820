/**
 * Drops event-log rows older than each app's retention window (`event_retention_days`, default
 * 30). Sync cursors older than the window already answer RESYNC_REQUIRED, so nothing a client can
 * still ask for is removed. Runs at start and hourly on every node; concurrent runs are harmless.
 */
import type pg from 'pg';
import { DEFAULT_RETENTION_DAYS } from '../actions/sync.js';

export async function pruneEvents(pool: pg.Pool): Promise<number> {
  const result = await pool.query(
    `delete from events e using apps a
     where e.app_id = a.app_id
       and e.created_at < now() - make_interval(days => coalesce((a.settings->>'event_retention_days')::int, $1))`,
    [DEFAULT_RETENTION_DAYS],
  );
  return result.rowCount ?? 0;
}

/** Starts the hourly pruning; returns a stop function. Failures are logged, never thrown. */
export function schedulePruning(pool: pg.Pool, log: { warn: (obj: object, msg: string) => void }, everyMs = 3_600_000): () => void {
  const run = () => pruneEvents(pool).catch((error) => log.warn({ err: error }, 'event pruning failed'));
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
