/**
 * POST /v1/sync: the caller's events since a cursor, in commit order, filtered like reads.
 * See docs/subsystems/events.md. The cursor is a PostgreSQL snapshot: a sync returns the events of
 * the transactions that were not visible in the cursor's snapshot and are visible in the current
 * one (the next cursor). Each committed transaction is therefore delivered exactly once, and as
 * soon as it commits, whatever else is still running in the cluster.
 */
import { ApiError } from '../errors.js';
import type { AppAuth } from '../http/guards.js';
import type { Queryable } from '../db/pool.js';
import { hiddenEvent } from '../events/event-log.js';
import type { Services } from '../services.js';
import { coarse, decodeSyncCursor, encodeSyncCursor, fits, parseSnapshot, snapshotText, type Snapshot } from './sync-cursor.js';

const PAGE = 500;
export const DEFAULT_RETENTION_DAYS = 30;

interface LoggedEvent {
  event_id: number;
  event: Record<string, unknown> & { message?: { id: string } };
  visible_to: string | null;
}

/** The current snapshot: every transaction visible in it has committed (or aborted) for good. */
export async function currentSnapshot(db: Queryable): Promise<Snapshot> {
  const result = await db.query<{ xmin: string; snapshot: string }>('select pg_snapshot_xmin(s)::text as xmin, s::text as snapshot from pg_current_snapshot() s');
  return parseSnapshot(result.rows[0]!.snapshot);
}

export async function doSync(services: Services, auth: AppAuth, body: { cids?: string[]; since?: string }) {
  const userId = auth.user!.id;
  const now = await currentSnapshot(services.pool);
  if (!body.since) return { events: [], cursor: encodeSyncCursor({ snapshot: now, eventId: 0 }), has_more: false };

  const cursor = decodeSyncCursor(body.since);
  const app = await services.apps.get(auth.appId);
  const retentionDays = app?.settings.event_retention_days ?? DEFAULT_RETENTION_DAYS;
  if (Date.now() - cursor.issuedAt > retentionDays * 86_400_000) {
    throw new ApiError('RESYNC_REQUIRED', `the cursor is older than the ${retentionDays}-day event window; reload channel state`);
  }
  // The upper bound of this batch of pages; if it would not fit in a page cursor, a coarser one
  // (transactions below its xmin only) defers the rest to the next call.
  let upto = cursor.upto;
  if (!upto) upto = fits({ snapshot: cursor.snapshot, upto: now, eventId: Number.MAX_SAFE_INTEGER }) ? now : coarse(now);
  const result = await services.pool.query<LoggedEvent>(
    `select e.event_id, e.event, e.visible_to from events e
     where e.app_id = $1 and e.txid >= $2::xid8 and e.txid < $3::xid8
       and not pg_visible_in_snapshot(e.txid, $4::pg_snapshot) and pg_visible_in_snapshot(e.txid, $5::pg_snapshot)
       and e.event_id > $6
       and (e.target_user_id = $7
         or (e.target_user_id is null and exists (
               select 1 from channel_members cm where cm.app_id = e.app_id and cm.type = e.type and cm.channel_id = e.channel_id
                 and cm.user_id = $7 and (case when cm.joined_seq is null then e.created_at >= cm.created_at else e.seq > cm.joined_seq end))
             and ($8::text[] is null or (e.type || ':' || e.channel_id) = any($8::text[]))))
     order by e.event_id limit ${PAGE + 1}`,
    [
      auth.appId,
      cursor.snapshot.xmin.toString(),
      upto.xmax.toString(),
      snapshotText(cursor.snapshot),
      snapshotText(upto),
      cursor.upto ? cursor.eventId : 0,
      userId,
      body.cids ?? null,
    ],
  );
  const page = result.rows.slice(0, PAGE);
  const hasMore = result.rows.length > PAGE;
  // Events of others' shadowed messages: their position only (like live delivery and recovery).
  const events = await redactDeleted(services, auth.appId, page.map((r) => (r.visible_to && r.visible_to !== userId ? hiddenEvent(r.event) : r.event)));
  const next = hasMore
    ? encodeSyncCursor({ snapshot: cursor.snapshot, upto, eventId: page[page.length - 1]!.event_id, issuedAt: cursor.issuedAt })
    : encodeSyncCursor({ snapshot: upto, eventId: 0 });
  return { events, cursor: next, has_more: hasMore };
}

/** Events logged before a message was deleted still carry its text: serve them as tombstones. */
export async function redactDeleted(services: Services, appId: string, events: LoggedEvent['event'][]) {
  const ids = [...new Set(events.map((e) => e.message?.id).filter((id): id is string => typeof id === 'string'))];
  if (ids.length === 0) return events;
  const deleted = await services.pool.query<{ id: string; deleted_at: Date | null }>(
    `select id, deleted_at from messages where app_id = $1 and id = any($2::uuid[]) and deleted_at is not null
     union all select x.id::uuid, now() from unnest($2::uuid[]) as x(id) where not exists (select 1 from messages where app_id = $1 and id = x.id)`,
    [appId, ids],
  );
  const gone = new Map(deleted.rows.map((r) => [r.id, r.deleted_at?.toISOString() ?? new Date().toISOString()]));
  return events.map((event) => {
    const message = event.message as Record<string, unknown> | undefined;
    if (!message || !gone.has(message.id as string) || message.type === 'deleted') return event;
    return {
      ...event,
      message: { ...message, type: 'deleted', text: '', html: '', attachments: [], custom: {}, mentioned_users: [], quoted_message: null, quoted_message_id: null, deleted_at: message.deleted_at ?? gone.get(message.id as string) },
    };
  });
}
