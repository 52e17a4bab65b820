/**
 * A channel's stream as the event log holds it: positions (offset = seq, epoch from the channel's
 * creation), recovery of missed publications, history, and the gap fills of live delivery. See
 * docs/subsystems/realtime.md "Recovery".
 */
import { redactDeleted } from '../actions/sync.js';
import type { ChannelRow } from '../db/channels.js';
import { hiddenEvent, type ParleyEvent } from '../events/event-log.js';
import type { Services } from '../services.js';
import type { Publication, StreamPosition } from './protocol-types.js';

/** Most publications one recovery (or one history call) returns; a longer gap is not recovered. */
export const RECOVERY_WINDOW = 1_000;

/**
 * The stream's epoch: the channel's creation time (ms, base 36). A channel deleted and created
 * again under the same id (get-or-create revives the row) gets a new epoch, so a client's old
 * position never "recovers" into the new channel.
 */
export function epochOf(channel: Pick<ChannelRow, 'created_at'>): string {
  return channel.created_at.getTime().toString(36);
}

export function positionOf(channel: Pick<ChannelRow, 'created_at' | 'last_seq'>): StreamPosition {
  return { offset: channel.last_seq, epoch: epochOf(channel) };
}

interface Range {
  appId: string;
  type: string;
  id: string;
}

/** A publication as the log holds it: `visibleTo` names its only reader (a shadowed message's author). */
export type StreamEntry = Publication & { visibleTo?: string };

/** `entries` as `viewer` sees them: what they may not see becomes an `event.hidden` at its offset. */
export function visibleFor(entries: StreamEntry[], viewer: string | null): Publication[] {
  return entries.map(({ visibleTo, ...publication }) =>
    !visibleTo || visibleTo === viewer ? publication : { data: hiddenEvent(publication.data as Record<string, unknown>), offset: publication.offset },
  );
}

/** Channel events with `after < seq <= upto`, ascending, at most `limit`, redacted like /v1/sync. */
export async function readStream(services: Services, channel: Range, after: number, upto: number, limit: number): Promise<StreamEntry[]> {
  if (upto <= after || limit <= 0) return [];
  const result = await services.pool.query<LogRow>(
    `select seq, event, visible_to from events
     where app_id = $1 and type = $2 and channel_id = $3 and target_user_id is null and seq > $4 and seq <= $5
     order by seq limit $6`,
    [channel.appId, channel.type, channel.id, after, upto, limit],
  );
  return toPublications(services, channel.appId, result.rows);
}

/** Channel events with `seq < before`, newest first, at most `limit`. */
async function readStreamBackwards(services: Services, channel: Range, before: number, limit: number): Promise<StreamEntry[]> {
  if (before <= 1 || limit <= 0) return [];
  const result = await services.pool.query<LogRow>(
    `select seq, event, visible_to from events
     where app_id = $1 and type = $2 and channel_id = $3 and target_user_id is null and seq > 0 and seq < $4
     order by seq desc limit $5`,
    [channel.appId, channel.type, channel.id, before, limit],
  );
  return toPublications(services, channel.appId, result.rows);
}

type LogRow = { seq: number; event: ParleyEvent; visible_to: string | null };

async function toPublications(services: Services, appId: string, rows: LogRow[]): Promise<StreamEntry[]> {
  const events = await redactDeleted(services, appId, rows.map((r) => r.event));
  return rows.map((row, i) => (row.visible_to ? { data: events[i], offset: row.seq, visibleTo: row.visible_to } : { data: events[i], offset: row.seq }));
}

export interface Recovery {
  recovered: boolean;
  /** Exactly the publications after the client's offset up to the channel's last seq, in order. */
  publications: Publication[];
}

/**
 * Recovers from a client's position: recovered only when the epoch matches (or the client sent
 * none), the gap is within the window, and the log still holds every event of it (retention
 * pruning, or a log written before recovery existed, leaves holes).
 */
export async function recover(services: Services, appId: string, channel: ChannelRow, from: Partial<StreamPosition>, viewer: string | null): Promise<Recovery> {
  const failed: Recovery = { recovered: false, publications: [] };
  const top = channel.last_seq;
  const offset = from.offset ?? 0;
  if (from.epoch && from.epoch !== epochOf(channel)) return failed;
  if (offset > top || top - offset > RECOVERY_WINDOW) return failed;
  const publications = await readStream(services, { appId, type: channel.type, id: channel.id }, offset, top, RECOVERY_WINDOW);
  if (publications.length !== top - offset) return failed;
  return { recovered: true, publications: visibleFor(publications, viewer) };
}

export class UnrecoverablePosition extends Error {}

export interface HistoryResult {
  publications: Publication[];
  epoch: string;
  offset: number;
}

/**
 * Centrifugo's history: without `limit` (or 0) only the stream position; with `since`, the
 * publications after it (or before it, newest first, with `reverse`); a `since` from another
 * epoch throws UnrecoverablePosition. A negative limit means "as many as allowed" (the window).
 */
export async function history(
  services: Services,
  appId: string,
  channel: ChannelRow,
  request: { limit?: number; since?: Partial<StreamPosition>; reverse?: boolean },
  viewer: string | null,
): Promise<HistoryResult> {
  const position = positionOf(channel);
  const range = { appId, type: channel.type, id: channel.id };
  const requested = request.limit ?? 0;
  const limit = requested < 0 ? RECOVERY_WINDOW : Math.min(requested, RECOVERY_WINDOW);
  const since = request.since;
  if (since?.epoch && since.epoch !== position.epoch) throw new UnrecoverablePosition();
  let publications: StreamEntry[];
  if (request.reverse) publications = await readStreamBackwards(services, range, since?.offset !== undefined ? since.offset : position.offset + 1, limit);
  else publications = await readStream(services, range, since?.offset ?? 0, position.offset, limit);
  return { publications: visibleFor(publications, viewer), epoch: position.epoch, offset: position.offset };
}
