/**
 * history: message history pages in a big database. Seeds (once; kept in
 * os.tmpdir()/parley-bench-history and reused while it matches) N messages across M channels of
 * one app with COPY (bench/lib/seed.mjs), then GET /v1/channels/messaging/{id}/messages?limit=50
 * on random channels as the reader (a member of every channel): the latest page, and a deep page
 * (before_seq=51: the channel's first 50 messages). p50/p99 one request at a time (the target),
 * then req/s and p99 with --connections connections. Also EXPLAIN ANALYZE of the server's own
 * page queries (packages/server/dist, messageWindow) on random channels.
 *
 * Extra options (after a second `--`, or BENCH_<NAME>): --messages 10000000 --channels 100000 --fresh
 *   npm run bench -- history -- --messages 1000000 --channels 10000
 * Seeding alone: node bench/lib/seed.mjs --messages N --channels M
 */
import pg from 'pg';
import { captureQueries, explainStatements, median, serverModule } from '../lib/explain.mjs';
import { resetStatements, startParleyWithDb, startParleyWithStatements, statementYardstick, statementsReport } from '../lib/parley-db.mjs';
import { cpuPer, loadRequests, machine, treeCpu } from '../lib/requests.mjs';
import { ensureHistorySeed, historyArgs } from '../lib/seed.mjs';
import { userToken } from '../lib/tokens.mjs';

export const description = 'GET 50-message pages (latest and deep) on random channels of a COPY-seeded 10M-message database: p99';

const TARGET_P99_MS = 5;
const PAGE = 50;
const WARMUP_S = 3;
const EXPLAIN_CHANNELS = 20;

/** Seeding 10 M rows takes minutes: allow for it when there is no seed to reuse. */
export const maxSeconds = ({ duration }) => {
  const { messages } = historyArgs();
  return 600 + Math.ceil(messages / 20_000) + 8 * duration;
};

export async function run({ duration = 10, connections = 50 }) {
  const loadAtStart = (await machine()).loadavg_1m;
  const options = historyArgs();
  const statements = process.env.BENCH_PG_STATEMENTS === '1';
  const seedStarted = performance.now();
  const { parley, manifest, reused } = await ensureHistorySeed({ ...options, start: statements ? startParleyWithStatements : startParleyWithDb });
  const setupSeconds = (performance.now() - seedStarted) / 1000;
  const db = new pg.Client({ connectionString: parley.dbUrl });
  await db.connect();
  try {
    const M = manifest.channels;
    const N = manifest.messages;
    const count = (c) => Math.floor(N / M) + (c < N % M ? 1 : 0);
    const token = await userToken(manifest.key_id, manifest.secret, manifest.reader);
    const headers = { authorization: `Bearer ${token}` };
    const channel = () => Math.floor(Math.random() * M);
    const latest = () => ({ method: 'GET', path: `/v1/channels/${manifest.type}/${manifest.prefix}c${channel()}/messages?limit=${PAGE}`, headers });
    const deepSeq = (c) => Math.min(PAGE + 1, count(c));
    const deep = () => {
      const c = channel();
      return { method: 'GET', path: `/v1/channels/${manifest.type}/${manifest.prefix}c${c}/messages?limit=${PAGE}&before_seq=${deepSeq(c)}`, headers };
    };

    // Sanity: the seed reads back as the API describes it.
    const check = await fetch(`${parley.url}/v1/channels/${manifest.type}/${manifest.prefix}c0/messages?limit=${PAGE}`, { headers }).then((r) => r.json());
    const expected = Math.min(PAGE, count(0));
    if (check.messages?.length !== expected || check.messages.at(-1).seq !== count(0)) throw new Error(`seed check failed: ${JSON.stringify(check).slice(0, 300)}`);

    const yardstick = await statementYardstick(parley.dbUrl, parley.pid);
    console.error(`bench: warming up, ${WARMUP_S} s`);
    await loadRequests({ url: parley.url, next: () => (Math.random() < 0.5 ? latest() : deep()), duration: WARMUP_S, connections });

    const phase = async (label, next, conns) => {
      console.error(`bench: ${label}, ${conns} connection${conns > 1 ? 's' : ''}, ${duration} s`);
      const before = await treeCpu(parley.pid);
      const result = await loadRequests({ url: parley.url, next, duration, connections: conns });
      return { ...result, ...cpuPer(before, await treeCpu(parley.pid), result.requests) };
    };
    if (statements) await resetStatements(db);
    const latestSerial = await phase('latest page', latest, 1);
    const statementFigures = statements ? await statementsReport(db, latestSerial.requests) : undefined;
    const deepSerial = await phase('deep page (before_seq)', deep, 1);
    const latestLoad = await phase('latest page, max rate', latest, connections);
    const deepLoad = await phase('deep page, max rate', deep, connections);

    // The server's page queries, recorded and explained on random channels.
    console.error(`bench: EXPLAIN ANALYZE of the page queries on ${EXPLAIN_CHANNELS} random channels`);
    const { findChannel } = await serverModule('db/channels.js');
    const { messageWindow } = await serverModule('actions/channel-state.js');
    const explained = { latest: [], deep: [] };
    let slowestPlan = null;
    for (let i = 0; i < EXPLAIN_CHANNELS; i++) {
      const c = channel();
      const row = await findChannel(db, manifest.app_id, manifest.type, `${manifest.prefix}c${c}`);
      for (const [kind, query] of [['latest', { limit: PAGE }], ['deep', { limit: PAGE, before_seq: deepSeq(c) }]]) {
        const { statements: recorded } = await captureQueries(db, (recorder) => messageWindow(recorder, row, manifest.reader, query));
        const { statements: plans, plan } = await explainStatements(db, recorded);
        const total = plans.reduce((s, p) => s + p.execution_ms + p.planning_ms, 0);
        explained[kind].push({ statements: recorded.length, db_ms: total, round_trip_ms: recorded.reduce((s, r) => s + r.ms, 0) });
        if (!slowestPlan || total > slowestPlan.total) slowestPlan = { total, kind, plan };
      }
    }
    if (slowestPlan) console.error(`bench: slowest page query plan (${slowestPlan.kind}):\n${slowestPlan.plan}`);
    const summary = (list) => ({
      statements: list[0]?.statements ?? null,
      db_exec_plan_ms_median: Number(median(list.map((e) => e.db_ms)).toFixed(3)),
      db_exec_plan_ms_max: Number(Math.max(...list.map((e) => e.db_ms)).toFixed(3)),
      first_run_round_trip_ms_median: Number(median(list.map((e) => e.round_trip_ms)).toFixed(3)),
    });

    const verdict = (met) => (met ? 'met' : 'missed');
    const cause = (r, e) =>
      `one request at a time costs ${r.server_cpu_us} µs server + ${r.pg_cpu_us} µs PostgreSQL CPU (p50 ${r.p50_ms} ms); ` +
      `the page's ${e.statements} statement(s) take ${e.db_exec_plan_ms_median} ms in PostgreSQL (execution + planning, median), plus 2 for the access check`;
    const runs = [latestSerial, deepSerial, latestLoad, deepLoad];
    const size = await db.query('select pg_database_size(current_database()) as bytes, pg_relation_size(\'messages\') as heap, pg_indexes_size(\'messages\') as idx');
    return {
      scenario: 'history',
      messages: N,
      channels: M,
      messages_per_channel: Math.floor(N / M),
      scaled_down: manifest.scaled_down || N < 10_000_000 || M !== 100_000,
      seed_reused: reused,
      seed_seconds: manifest.seconds,
      seed_copy_rows_per_s: manifest.rows_per_s,
      setup_seconds: Number(setupSeconds.toFixed(1)),
      database_gb: Number((Number(size.rows[0].bytes) / 1e9).toFixed(2)),
      messages_heap_gb: Number((Number(size.rows[0].heap) / 1e9).toFixed(2)),
      messages_indexes_gb: Number((Number(size.rows[0].idx) / 1e9).toFixed(2)),
      latest_p50_ms: latestSerial.p50_ms,
      latest_p99_ms: latestSerial.p99_ms,
      latest_serial_rps: latestSerial.rps,
      deep_p50_ms: deepSerial.p50_ms,
      deep_p99_ms: deepSerial.p99_ms,
      deep_serial_rps: deepSerial.rps,
      latest_server_cpu_us: latestSerial.server_cpu_us,
      latest_pg_cpu_us: latestSerial.pg_cpu_us,
      deep_server_cpu_us: deepSerial.server_cpu_us,
      deep_pg_cpu_us: deepSerial.pg_cpu_us,
      latest_load_rps: latestLoad.rps,
      latest_load_p50_ms: latestLoad.p50_ms,
      latest_load_p99_ms: latestLoad.p99_ms,
      deep_load_rps: deepLoad.rps,
      deep_load_p99_ms: deepLoad.p99_ms,
      explain_latest: summary(explained.latest),
      explain_deep: summary(explained.deep),
      pg_statements: statementFigures,
      p99_target: `<= ${TARGET_P99_MS} ms, one request at a time`,
      latest_p99_verdict: verdict(latestSerial.p99_ms !== null && latestSerial.p99_ms <= TARGET_P99_MS),
      latest_p99_cause: latestSerial.p99_ms <= TARGET_P99_MS ? undefined : cause(latestSerial, summary(explained.latest)),
      deep_p99_verdict: verdict(deepSerial.p99_ms !== null && deepSerial.p99_ms <= TARGET_P99_MS),
      deep_p99_cause: deepSerial.p99_ms <= TARGET_P99_MS ? undefined : cause(deepSerial, summary(explained.deep)),
      non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
      errors: runs.reduce((s, r) => s + r.errors + r.timeouts, 0),
      valid: runs.every((r) => r.non2xx === 0 && r.errors === 0 && r.timeouts === 0 && r.requests > 0),
      ...yardstick,
      loadavg_1m_start: loadAtStart,
      duration_s: duration,
      connections,
      database: 'embedded',
      revision: parley.revision,
      ...(await machine()),
      date: new Date().toISOString(),
    };
  } finally {
    await db.end();
    await parley.stop();
  }
}
