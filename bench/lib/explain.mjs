/**
 * Where a request's database time goes: run one of the server's own actions (imported from the
 * built packages/server/dist) against a database handle that records every statement, then
 * EXPLAIN (ANALYZE, BUFFERS) each recorded statement with its parameters. The SQL is exactly what
 * the server sends, so a plan here is the server's plan (bar plan-cache differences).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './build.mjs';

/** Imports a module of the built server, e.g. serverModule('actions/channel-state.js'). */
export const serverModule = (file) => import(pathToFileURL(path.join(root, 'packages/server/dist', file)).href);

/** Runs `fn(db)` with a `db` whose query() records { sql, params, ms } into the returned list. */
export async function captureQueries(client, fn) {
  const statements = [];
  const db = {
    query: async (sql, params) => {
      const text = typeof sql === 'string' ? sql : sql.text;
      const values = typeof sql === 'string' ? params : sql.values;
      const t0 = performance.now();
      const result = await client.query(text, values);
      statements.push({ sql: text, params: values, ms: performance.now() - t0 });
      return result;
    },
  };
  const result = await fn(db);
  return { result, statements };
}

const squash = (sql) => sql.replace(/\s+/g, ' ').trim();

/**
 * EXPLAIN (ANALYZE, BUFFERS) of each statement: { planning_ms, execution_ms, rows, shared_hit,
 * shared_read, sql (first 120 chars) }, plus the text plan of the slowest in `plan`.
 */
export async function explainStatements(client, statements) {
  const out = [];
  let slowest = null;
  for (const s of statements) {
    if (/^\s*(begin|commit|rollback|select pg_snapshot_xmin)/i.test(s.sql)) continue;
    const json = (await client.query(`explain (analyze, buffers, format json) ${s.sql}`, s.params)).rows[0]['QUERY PLAN'][0];
    const entry = {
      planning_ms: Number(json['Planning Time'].toFixed(3)),
      execution_ms: Number(json['Execution Time'].toFixed(3)),
      rows: json.Plan['Actual Rows'],
      shared_hit: json.Plan['Shared Hit Blocks'],
      shared_read: json.Plan['Shared Read Blocks'],
      sql: squash(s.sql).slice(0, 120),
    };
    out.push(entry);
    if (!slowest || entry.execution_ms > slowest.entry.execution_ms) slowest = { entry, s };
  }
  let plan = null;
  if (slowest) {
    const text = await client.query(`explain (analyze, buffers) ${slowest.s.sql}`, slowest.s.params);
    plan = text.rows.map((r) => r['QUERY PLAN']).join('\n');
  }
  return { statements: out, plan };
}

/** Median of a list of numbers (null when empty). */
export function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
