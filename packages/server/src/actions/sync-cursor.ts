import { decodeCursor, encodeCursor } from '../util/cursor.js';
import { validationError } from '../errors.js';

/**
 * A PostgreSQL snapshot (`pg_snapshot`): transactions below `xmin` are finished, those from
 * `xmax` on had not started, and in between those listed in `xip` were still running. A
 * transaction is "visible" in it when it had finished when the snapshot was taken.
 */
export interface Snapshot {
  xmin: bigint;
  xmax: bigint;
  xip: bigint[];
}

/**
 * A /v1/sync cursor. Every event of a transaction visible in `snapshot` has been delivered; with
 * `upto`, the events of transactions visible in `upto` but not in `snapshot` are half delivered,
 * up to `eventId`. `issuedAt` (ms) decides RESYNC_REQUIRED against the retention window.
 */
export interface SyncCursor {
  snapshot: Snapshot;
  upto?: Snapshot;
  eventId: number;
  issuedAt?: number;
}

/** `since` is at most 512 characters (see routes/me.ts); a longer cursor is made coarser to fit. */
const MAX_CURSOR_LENGTH = 500;
const MAX_XIP = 2_000;

export function parseSnapshot(text: string): Snapshot {
  const [xmin, xmax, xip] = text.split(':');
  return { xmin: BigInt(xmin!), xmax: BigInt(xmax!), xip: xip ? xip.split(',').map((x) => BigInt(x)) : [] };
}

/** The text form PostgreSQL reads back as `::pg_snapshot`. */
export function snapshotText(s: Snapshot): string {
  return `${s.xmin}:${s.xmax}:${s.xip.join(',')}`;
}

/**
 * The same snapshot without its in-progress list: only transactions below xmin count as
 * visible. Safe in both roles: as a lower bound it may deliver an event again, as an upper bound
 * it only defers events to the next call; it never loses one.
 */
export function coarse(s: Snapshot): Snapshot {
  return { xmin: s.xmin, xmax: s.xmin, xip: [] };
}

/** `xmin.xmaxΔ.xipΔ-xipΔ…` with base-36 deltas from xmin: short enough for a URL-safe cursor. */
function compact(s: Snapshot): string {
  const delta = (x: bigint) => (x - s.xmin).toString(36);
  return `${s.xmin}.${delta(s.xmax)}${s.xip.length ? '.' + s.xip.map(delta).join('-') : ''}`;
}

const COMPACT = /^(\d{1,20})\.([0-9a-z]{1,10})(?:\.([0-9a-z]{1,10}(?:-[0-9a-z]{1,10})*))?$/;

function expand(value: unknown): Snapshot | null {
  if (typeof value !== 'string') return null;
  const match = COMPACT.exec(value);
  if (!match) return null;
  const xmin = BigInt(match[1]!);
  const xmax = xmin + BigInt(parseInt(match[2]!, 36));
  const xip = match[3] ? match[3].split('-').map((d) => xmin + BigInt(parseInt(d, 36))) : [];
  if (xip.length > MAX_XIP) return null;
  for (let i = 0; i < xip.length; i++) {
    if (xip[i]! >= xmax || (i > 0 && xip[i]! <= xip[i - 1]!)) return null;
  }
  return { xmin, xmax, xip };
}

function encode(cursor: SyncCursor): string {
  return encodeCursor({
    s: compact(cursor.snapshot),
    ...(cursor.upto ? { u: compact(cursor.upto) } : {}),
    e: cursor.eventId,
    t: cursor.issuedAt ?? Date.now(),
  });
}

/** Whether a cursor with these snapshots fits `since`. */
export function fits(cursor: SyncCursor): boolean {
  return encode(cursor).length <= MAX_CURSOR_LENGTH;
}

export function encodeSyncCursor(cursor: SyncCursor): string {
  let encoded = encode(cursor);
  // Very many transactions in flight: drop the in-progress lists (upper bound first: that one
  // only defers events, while a coarse lower bound may deliver some twice).
  if (encoded.length > MAX_CURSOR_LENGTH && cursor.upto) encoded = encode((cursor = { ...cursor, upto: coarse(cursor.upto) }));
  if (encoded.length > MAX_CURSOR_LENGTH) encoded = encode({ ...cursor, snapshot: coarse(cursor.snapshot) });
  return encoded;
}

export function decodeSyncCursor(raw: string): Required<Omit<SyncCursor, 'upto'>> & { upto?: Snapshot } {
  const value = decodeCursor<Record<string, unknown> | null>(raw, 'since');
  const invalid = () => validationError('since', 'is not a cursor returned by this API');
  if (!value || typeof value !== 'object' || Array.isArray(value) || typeof value.e !== 'number' || !Number.isSafeInteger(value.e) || typeof value.t !== 'number') throw invalid();
  const isTxid = (v: unknown): v is string => typeof v === 'string' && /^\d{1,20}$/.test(v);
  let snapshot: Snapshot | null;
  let upto: Snapshot | null | undefined;
  if (value.s !== undefined) {
    snapshot = expand(value.s);
    upto = value.u === undefined ? undefined : expand(value.u);
  } else {
    // Cursors issued before snapshots were kept: `x` / `u` are bare xmins.
    if (!isTxid(value.x) || (value.u !== undefined && !isTxid(value.u))) throw invalid();
    snapshot = coarse({ xmin: BigInt(value.x), xmax: 0n, xip: [] });
    upto = value.u === undefined ? undefined : coarse({ xmin: BigInt(value.u as string), xmax: 0n, xip: [] });
  }
  if (!snapshot || upto === null) throw invalid();
  return { snapshot, upto, eventId: value.e, issuedAt: value.t };
}
