import { decodeCursor, encodeCursor } from '../util/cursor.js';
import { validationError } from '../errors.js';

/**
 * A /v1/sync cursor. Every transaction with a txid below `txid` was complete and delivered when
 * the cursor was issued; with `upto`/`eventId`, the range [txid, upto) is half delivered, up to
 * `eventId`. `issuedAt` (ms) decides RESYNC_REQUIRED against the retention window.
 */
export interface SyncCursor {
  txid: string;
  upto?: string;
  eventId: number;
  issuedAt?: number;
}

export function encodeSyncCursor(cursor: SyncCursor): string {
  return encodeCursor({ x: cursor.txid, u: cursor.upto, e: cursor.eventId, t: cursor.issuedAt ?? Date.now() });
}

export function decodeSyncCursor(raw: string): Required<Omit<SyncCursor, 'upto'>> & { upto?: string } {
  const value = decodeCursor<{ x?: unknown; u?: unknown; e?: unknown; t?: unknown }>(raw, 'since');
  const isTxid = (v: unknown) => typeof v === 'string' && /^\d{1,20}$/.test(v);
  if (!value || !isTxid(value.x) || (value.u !== undefined && !isTxid(value.u)) || typeof value.e !== 'number' || typeof value.t !== 'number') {
    throw validationError('since', 'is not a cursor returned by this API');
  }
  return { txid: value.x as string, upto: value.u as string | undefined, eventId: value.e, issuedAt: value.t };
}
