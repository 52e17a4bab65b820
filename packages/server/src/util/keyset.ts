/**
 * Keyset pagination over a list of sort fields (never OFFSET). The cursor holds the sort values of
 * the last row (and a signature of the sort they belong to); the next page starts strictly after
 * it. The last sort key must be unique (an id).
 */
import { createHash } from 'node:crypto';
import { validationError } from '../errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { SqlParams } from './filter-sql.js';

export interface SortKey {
  /** SQL expression; must be non-null (wrap nullable columns in coalesce). */
  sql: string;
  cast: string;
  direction: 1 | -1;
}

/** Select list entries `(<sql>)::text as _k<i>`: exact values (timestamps keep microseconds) for the cursor. */
export function cursorColumns(keys: SortKey[]): string {
  return keys.map((k, i) => `(${k.sql})::text as _k${i}`).join(', ');
}

export function orderBy(keys: SortKey[]): string {
  return keys.map((k) => `${k.sql} ${k.direction === 1 ? 'asc' : 'desc'}`).join(', ');
}

/** `(a > x) or (a = x and b > y) or ...` for the cursor's values. */
export function afterCursor(keys: SortKey[], cursor: string | undefined, params: SqlParams): string {
  if (!cursor) return 'true';
  const decoded = decodeCursor<{ s?: unknown; v?: unknown }>(cursor);
  const values = typeof decoded === 'object' && decoded !== null ? decoded.v : undefined;
  if (
    decoded?.s !== sortSignature(keys) ||
    !Array.isArray(values) ||
    values.length !== keys.length ||
    !values.every((v) => typeof v === 'string')
  ) {
    throw validationError('cursor', 'does not match this sort; pass the same sort as the page that returned it');
  }
  const placeholders = values.map((v, i) => params.add(v, keys[i]!.cast));
  const branches = keys.map((key, i) => {
    const equal = keys.slice(0, i).map((k, j) => `${k.sql} = ${placeholders[j]}`);
    const op = key.direction === 1 ? '>' : '<';
    return [...equal, `${key.sql} ${op} ${placeholders[i]}`].join(' and ');
  });
  return `(${branches.map((b) => `(${b})`).join(' or ')})`;
}

/** Names the sort a cursor belongs to, so a cursor is never read against a different order. */
function sortSignature(keys: SortKey[]): string {
  const spec = keys.map((k) => `${k.sql}${k.cast}:${k.direction}`).join('|');
  return createHash('sha256').update(spec).digest('base64url').slice(0, 10);
}

export function nextCursor(keys: SortKey[], rows: Record<string, unknown>[], limit: number): string | null {
  if (rows.length <= limit) return null;
  const last = rows[limit - 1]!;
  return encodeCursor({ s: sortSignature(keys), v: keys.map((_k, i) => last[`_k${i}`]) });
}
