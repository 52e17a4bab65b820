/**
 * Keyset pagination over a list of sort fields (never OFFSET). The cursor holds the sort values of
 * the last row; the next page starts strictly after it. The last sort key must be unique (an id).
 */
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
  const values = decodeCursor<unknown[]>(cursor);
  if (!Array.isArray(values) || values.length !== keys.length) throw validationError('cursor', 'does not match this sort');
  const placeholders = values.map((v, i) => params.add(v, keys[i]!.cast));
  const branches = keys.map((key, i) => {
    const equal = keys.slice(0, i).map((k, j) => `${k.sql} = ${placeholders[j]}`);
    const op = key.direction === 1 ? '>' : '<';
    return [...equal, `${key.sql} ${op} ${placeholders[i]}`].join(' and ');
  });
  return `(${branches.map((b) => `(${b})`).join(' or ')})`;
}

export function nextCursor(keys: SortKey[], rows: Record<string, unknown>[], limit: number): string | null {
  if (rows.length <= limit) return null;
  const last = rows[limit - 1]!;
  return encodeCursor(keys.map((_k, i) => last[`_k${i}`]));
}
