/**
 * Compiles a Stream-style JSON filter ({"role": "coach", "name": {"$autocomplete": "al"},
 * "$or": [...]}) into a parameterised SQL condition over a fixed set of fields. Values are always
 * bound parameters; field names only come from the allowlist, so nothing user-given is spliced
 * into the SQL text.
 */
import { validationError } from '../errors.js';

export type FieldType = 'text' | 'timestamp' | 'boolean' | 'number';

export interface FieldSpec {
  /** SQL expression of the column. */
  sql: string;
  type: FieldType;
  /** Case-insensitive prefix match for `$autocomplete` / `$prefix` (the expression is lower-cased). */
  prefix?: boolean;
  /** A field that is not a column (e.g. channel `members`): compiles its own condition. */
  compile?: (condition: unknown, params: SqlParams) => string;
}

export interface FilterSchema {
  fields: Record<string, FieldSpec>;
  /** The jsonb column holding custom fields; `custom.<name>` or bare unknown names address it. */
  customColumn?: string;
}

export class SqlParams {
  readonly values: unknown[] = [];
  constructor(start: unknown[] = []) {
    this.values.push(...start);
  }
  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

const CASTS: Record<FieldType, string> = { text: '::text', timestamp: '::timestamptz', boolean: '::boolean', number: '::numeric' };
const COMPARISONS: Record<string, string> = { $eq: '=', $ne: '<>', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Own keys only: `toString` or `constructor` are not operators. */
function isComparison(op: string): boolean {
  return Object.prototype.hasOwnProperty.call(COMPARISONS, op);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 3339 date-time, or a bare date (midnight UTC). */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A timestamp PostgreSQL is sure to accept, as an ISO string; `null` when the value is not one.
 * (`Date.parse` alone accepts "1" or "2026-02-30", which PostgreSQL refuses with a 500.)
 */
function normalizeTimestamp(value: string): string | null {
  const match = TIMESTAMP.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  if (match[4] !== undefined && (Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6] ?? 0) > 59)) return null;
  const ms = Date.parse(match[4] === undefined ? `${value}T00:00:00Z` : value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function checkScalar(field: string, type: FieldType, value: unknown): unknown {
  if (type === 'timestamp') {
    const normalized = typeof value === 'string' ? normalizeTimestamp(value) : null;
    if (normalized === null) throw validationError(`filter.${field}`, 'expects an RFC 3339 timestamp');
    return normalized;
  }
  const ok =
    (type === 'text' && typeof value === 'string') ||
    (type === 'number' && typeof value === 'number' && Number.isFinite(value)) ||
    (type === 'boolean' && typeof value === 'boolean');
  if (!ok) throw validationError(`filter.${field}`, `expects a ${type}`);
  return value;
}

function knownField(field: string, spec: FieldSpec, condition: unknown, params: SqlParams): string {
  const ops = isPlainObject(condition) ? condition : { $eq: condition };
  const parts: string[] = [];
  for (const [op, value] of Object.entries(ops)) {
    if (isComparison(op)) {
      if (value === null && (op === '$eq' || op === '$ne')) {
        parts.push(`${spec.sql} is ${op === '$eq' ? '' : 'not '}null`);
      } else if (op === '$ne') {
        // Like $nin: a row without a value is "not equal" too.
        parts.push(`${spec.sql} is distinct from ${params.add(checkScalar(field, spec.type, value), CASTS[spec.type])}`);
      } else {
        parts.push(`${spec.sql} ${COMPARISONS[op]} ${params.add(checkScalar(field, spec.type, value), CASTS[spec.type])}`);
      }
    } else if (op === '$in' || op === '$nin') {
      if (!Array.isArray(value) || value.length > 1000) throw validationError(`filter.${field}.${op}`, 'expects a list of at most 1000 values');
      const checked = value.map((v) => checkScalar(field, spec.type, v));
      const list = params.add(checked, `${CASTS[spec.type]}[]`);
      parts.push(op === '$in' ? `coalesce(${spec.sql} = any(${list}), false)` : `not coalesce(${spec.sql} = any(${list}), false)`);
    } else if (op === '$exists') {
      if (typeof value !== 'boolean') throw validationError(`filter.${field}.$exists`, 'expects a boolean');
      parts.push(`${spec.sql} is ${value ? 'not ' : ''}null`);
    } else if ((op === '$autocomplete' || op === '$prefix') && spec.prefix) {
      if (typeof value !== 'string') throw validationError(`filter.${field}.${op}`, 'expects a string');
      const escaped = value.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c);
      parts.push(`lower(${spec.sql}) like ${params.add(escaped + '%')}`);
    } else {
      throw validationError(`filter.${field}`, `unsupported operator ${op}`);
    }
  }
  return parts.length ? parts.join(' and ') : 'true';
}

function customField(column: string, field: string, condition: unknown, params: SqlParams): string {
  if (!NAME.test(field)) throw validationError(`filter.${field}`, 'is not a valid custom field name');
  const ops = isPlainObject(condition) ? condition : { $eq: condition };
  // No operators, no condition: and no unused parameter, which PostgreSQL cannot type (a 500).
  if (Object.keys(ops).length === 0) return 'true';
  const key = params.add(field);
  const expr = `${column}->${key}`;
  const parts: string[] = [];
  for (const [op, value] of Object.entries(ops)) {
    if (op === '$ne') parts.push(`${expr} is distinct from ${params.add(JSON.stringify(value), '::jsonb')}`);
    else if (op === '$eq') parts.push(`${expr} = ${params.add(JSON.stringify(value), '::jsonb')}`);
    else if (isComparison(op)) {
      // jsonb orders across types (every string above every number): a range compares like with
      // like, so {"$gt": 5} never matches "abc".
      const bound = params.add(JSON.stringify(value), '::jsonb');
      parts.push(`(jsonb_typeof(${expr}) = jsonb_typeof(${bound}) and ${expr} ${COMPARISONS[op]} ${bound})`);
    }
    else if (op === '$in' || op === '$nin') {
      if (!Array.isArray(value) || value.length > 1000) throw validationError(`filter.${field}.${op}`, 'expects a list of at most 1000 values');
      const list = params.add(value.map((v) => JSON.stringify(v)), '::jsonb[]');
      parts.push(op === '$in' ? `${expr} = any(${list})` : `not coalesce(${expr} = any(${list}), false)`);
    } else if (op === '$exists') {
      if (typeof value !== 'boolean') throw validationError(`filter.${field}.$exists`, 'expects a boolean');
      parts.push(`${value ? '' : 'not '}(${column} ? ${key})`);
    } else if (op === '$contains') parts.push(`${expr} @> ${params.add(JSON.stringify(value), '::jsonb')}`);
    else throw validationError(`filter.${field}`, `unsupported operator ${op}`);
  }
  return parts.length ? parts.join(' and ') : 'true';
}

/** Returns a SQL boolean expression; `true` for an empty filter. */
export function compileFilter(filter: unknown, schema: FilterSchema, params: SqlParams, depth = 0): string {
  if (depth > 5) throw validationError('filter', 'is nested too deeply');
  if (!isPlainObject(filter)) throw validationError('filter', 'must be an object');
  const parts: string[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    if (field === '$and' || field === '$or') {
      if (!Array.isArray(condition) || condition.length === 0) throw validationError(`filter.${field}`, 'expects a non-empty list');
      const inner = condition.map((c) => `(${compileFilter(c, schema, params, depth + 1)})`);
      parts.push(`(${inner.join(field === '$and' ? ' and ' : ' or ')})`);
    } else if (Object.prototype.hasOwnProperty.call(schema.fields, field)) {
      const spec = schema.fields[field]!;
      parts.push(spec.compile ? spec.compile(condition, params) : knownField(field, spec, condition, params));
    } else if (schema.customColumn && (field.startsWith('custom.') || !field.startsWith('$'))) {
      parts.push(customField(schema.customColumn, field.startsWith('custom.') ? field.slice(7) : field, condition, params));
    } else {
      throw validationError(`filter.${field}`, 'is not a filterable field');
    }
  }
  return parts.length ? parts.join(' and ') : 'true';
}

/** Parses a JSON filter from a query string parameter. */
export function parseJsonParam(raw: string | undefined, field: string): unknown {
  if (raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw validationError(field, 'is not valid JSON');
  }
}
