/**
 * query-channels: a user in 1,000 channels (each with 4 other members, 50 messages, the last 3
 * unread; every 10th channel's last message @mentions the user), seeded with COPY. Then, one
 * request at a time (the targets): POST /v1/channels/query, 30 channels a page sorted by
 * last_message_at (the default message_limit 25 and member_limit 10: each channel's last
 * messages, members, read state and unread counts), on a random page of the 34 (cursors collected
 * first); the same with message_limit 1 (informational); GET /v1/me/unread. Then req/s and p99 of
 * both with --connections connections. Also EXPLAIN ANALYZE of the server's own queries for both
 * (doQueryChannels and doUnread from packages/server/dist).
 *
 * Extra options (after a second `--`, or BENCH_<NAME>): --channels 1000 --messages-per-channel 50 --unread 3
 */
import pg from 'pg';
import { int, scenarioArgs } from '../lib/args.mjs';
import { captureQueries, explainStatements, median, serverModule } from '../lib/explain.mjs';
import { unthrottledApp } from '../lib/fixture.mjs';
import { resetStatements, startParleyWithDb, startParleyWithStatements, statementYardstick, statementsReport } from '../lib/parley-db.mjs';
import { cpuPer, loadRequests, machine, treeCpu } from '../lib/requests.mjs';
import { seedConversations } from '../lib/seed.mjs';
import { userToken } from '../lib/tokens.mjs';

export const description = 'POST /v1/channels/query (30 a page, last messages, unread counts) and GET /v1/me/unread for a user in 1,000 channels: p99';

const TARGET_QUERY_P99_MS = 15;
const TARGET_UNREAD_P99_MS = 10;
const PAGE = 30;
const WARMUP_S = 3;
const READER = 'reader';

export const maxSeconds = ({ duration }) => 400 + 10 * duration;

export async function run({ duration = 10, connections = 50 }) {
  const loadAtStart = (await machine()).loadavg_1m;
  const extra = scenarioArgs({
    channels: { type: 'string', default: '1000' },
    'messages-per-channel': { type: 'string', default: '50' },
    unread: { type: 'string', default: '3' },
  });
  const channels = int(extra.channels, 'channels', { max: 100_000 });
  const perChannel = int(extra['messages-per-channel'], 'messages-per-channel', { max: 10_000 });
  const unread = int(extra.unread, 'unread', { min: 0, max: perChannel });
  const mentionEvery = 10;
  const statements = process.env.BENCH_PG_STATEMENTS === '1';
  const parley = statements ? await startParleyWithStatements() : await startParleyWithDb();
  const db = new pg.Client({ connectionString: parley.dbUrl });
  await db.connect();
  try {
    const app = await unthrottledApp(parley, 'bench-query-channels');
    console.error(`bench: seeding ${channels} channels x ${perChannel} messages (reader + 4 members each, ${unread} unread)`);
    const seed = await seedConversations(db, {
      appId: app.appId,
      prefix: 'q',
      channels,
      messages: channels * perChannel,
      reader: READER,
      members: 4,
      authors: 400,
      unread,
      mentionEvery,
      otherMentionEvery: 5,
      label: 'seed',
    });
    const token = await userToken(app.keyId, app.secret, READER);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const post = async (body) => {
      const response = await fetch(`${parley.url}/v1/channels/query`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`query: ${response.status} ${await response.text()}`);
      return response.json();
    };

    // Every page's cursor, and a check of what the pages hold.
    const sort = [{ field: 'last_message_at', direction: -1 }];
    const cursors = [undefined];
    let seen = 0;
    let unreadSeen = 0;
    let pageBytes = 0;
    for (let cursor; ; ) {
      const page = await post({ filter: {}, sort, limit: PAGE, ...(cursor ? { cursor } : {}) });
      if (cursors.length === 1) pageBytes = JSON.stringify(page).length;
      seen += page.channels.length;
      unreadSeen += page.channels.reduce((s, c) => s + c.unread_count, 0);
      if (cursors.length === 1 && (page.channels[0]?.messages.length !== Math.min(25, perChannel) || page.channels.length !== Math.min(PAGE, channels))) {
        throw new Error(`unexpected first page: ${JSON.stringify(page).slice(0, 300)}`);
      }
      if (!page.next) break;
      cursors.push(page.next);
      cursor = page.next;
    }
    const unreadBody = await fetch(`${parley.url}/v1/me/unread`, { headers }).then((r) => r.json());
    const expectedUnread = channels * Math.min(unread, perChannel);
    const consistent = seen === channels && unreadSeen === expectedUnread && unreadBody.total_unread_count === expectedUnread && unreadBody.unread_channels === (unread > 0 ? channels : 0);
    if (!consistent) console.error(`bench: warning: pages held ${seen} channels / ${unreadSeen} unread, /v1/me/unread ${unreadBody.total_unread_count}; expected ${channels} / ${expectedUnread}`);

    const queryBody = (messageLimit) => () => {
      const cursor = cursors[Math.floor(Math.random() * cursors.length)];
      return { method: 'POST', path: '/v1/channels/query', headers, body: JSON.stringify({ filter: {}, sort, limit: PAGE, ...(messageLimit === undefined ? {} : { message_limit: messageLimit }), ...(cursor ? { cursor } : {}) }) };
    };
    const query = queryBody(undefined);
    const queryOne = queryBody(1);
    const unreadReq = () => ({ method: 'GET', path: '/v1/me/unread', headers: { authorization: headers.authorization } });

    const yardstick = await statementYardstick(parley.dbUrl, parley.pid);
    console.error(`bench: warming up, ${WARMUP_S} s`);
    await loadRequests({ url: parley.url, next: () => (Math.random() < 0.5 ? query() : unreadReq()), duration: WARMUP_S, connections: 4 });

    const phase = async (label, next, conns) => {
      console.error(`bench: ${label}, ${conns} connection${conns > 1 ? 's' : ''}, ${duration} s`);
      const before = await treeCpu(parley.pid);
      const result = await loadRequests({ url: parley.url, next, duration, connections: conns });
      return { ...result, ...cpuPer(before, await treeCpu(parley.pid), result.requests) };
    };
    if (statements) await resetStatements(db);
    const querySerial = await phase('POST /v1/channels/query (message_limit 25)', query, 1);
    const queryStatements = statements ? await statementsReport(db, querySerial.requests) : undefined;
    const queryOneSerial = await phase('POST /v1/channels/query (message_limit 1)', queryOne, 1);
    if (statements) await resetStatements(db);
    const unreadSerial = await phase('GET /v1/me/unread', unreadReq, 1);
    const unreadStatements = statements ? await statementsReport(db, unreadSerial.requests) : undefined;
    const queryLoad = await phase('POST /v1/channels/query, max rate', query, connections);
    const unreadLoad = await phase('GET /v1/me/unread, max rate', unreadReq, connections);

    // The server's own statements for one request of each, explained.
    console.error('bench: EXPLAIN ANALYZE of the statements of one query (first page) and one /v1/me/unread');
    const { doQueryChannels } = await serverModule('actions/channel-query.js');
    const { doUnread } = await serverModule('actions/read-state.js');
    const auth = { appId: app.appId, kind: 'user', user: { id: READER, role: 'user', name: null, image: null } };
    // A pool as the server has: buildStates runs its statements concurrently.
    const pool = new pg.Pool({ connectionString: parley.dbUrl, max: 10 });
    // Each statement explained 5 times; the median of each figure (one sample is noisy on a busy machine).
    const explainAction = async (fn) => {
      await captureQueries(pool, (recorder) => fn({ pool: recorder })); // warm
      const { statements: recorded } = await captureQueries(pool, (recorder) => fn({ pool: recorder }));
      const samples = [];
      let plan = null;
      for (let i = 0; i < 5; i++) {
        const explained = await explainStatements(db, recorded);
        samples.push(explained.statements);
        plan ??= explained.plan;
      }
      const each = samples[0].map((first, k) => ({
        exec_ms: median(samples.map((s) => s[k].execution_ms)),
        plan_ms: median(samples.map((s) => s[k].planning_ms)),
        rows: first.rows,
        sql: first.sql.slice(0, 70),
      }));
      return {
        statements: recorded.length,
        round_trip_ms_sum: Number(recorded.reduce((s, r) => s + r.ms, 0).toFixed(3)),
        db_ms: Number(each.reduce((s, p) => s + p.exec_ms + p.plan_ms, 0).toFixed(3)),
        each,
        plan,
      };
    };
    const queryExplain = await explainAction((services) => doQueryChannels(services, auth, { filter: {}, sort, limit: PAGE }));
    const unreadExplain = await explainAction((services) => doUnread(services, auth));
    await pool.end();
    console.error(`bench: slowest statement of a query (first page):\n${queryExplain.plan}`);
    console.error(`bench: slowest statement of /v1/me/unread:\n${unreadExplain.plan}`);
    delete queryExplain.plan;
    delete unreadExplain.plan;

    const verdict = (met) => (met ? 'met' : 'missed');
    const cause = (r, e, what) =>
      `one request at a time costs ${r.server_cpu_us} µs server + ${r.pg_cpu_us} µs PostgreSQL CPU (p50 ${r.p50_ms} ms); ${e.statements} statements, ` +
      `${e.db_ms} ms in PostgreSQL (execution + planning), the largest ${Math.max(...e.each.map((x) => x.exec_ms))} ms; ${what}`;
    const runs = [querySerial, queryOneSerial, unreadSerial, queryLoad, unreadLoad];
    return {
      scenario: 'query-channels',
      channels,
      messages_per_channel: perChannel,
      unread_per_channel: unread,
      pages: cursors.length,
      page_kb: Math.round(pageBytes / 1024),
      seed_seconds: seed.seconds,
      query_p50_ms: querySerial.p50_ms,
      query_p99_ms: querySerial.p99_ms,
      query_serial_rps: querySerial.rps,
      query_server_cpu_us: querySerial.server_cpu_us,
      query_pg_cpu_us: querySerial.pg_cpu_us,
      query_ml1_p50_ms: queryOneSerial.p50_ms,
      query_ml1_p99_ms: queryOneSerial.p99_ms,
      unread_p50_ms: unreadSerial.p50_ms,
      unread_p99_ms: unreadSerial.p99_ms,
      unread_serial_rps: unreadSerial.rps,
      unread_server_cpu_us: unreadSerial.server_cpu_us,
      unread_pg_cpu_us: unreadSerial.pg_cpu_us,
      query_load_rps: queryLoad.rps,
      query_load_p99_ms: queryLoad.p99_ms,
      unread_load_rps: unreadLoad.rps,
      unread_load_p99_ms: unreadLoad.p99_ms,
      explain_query: queryExplain,
      explain_unread: unreadExplain,
      pg_statements_query: queryStatements,
      pg_statements_unread: unreadStatements,
      query_target: `p99 <= ${TARGET_QUERY_P99_MS} ms, one request at a time`,
      query_verdict: verdict(querySerial.p99_ms !== null && querySerial.p99_ms <= TARGET_QUERY_P99_MS),
      query_cause: querySerial.p99_ms <= TARGET_QUERY_P99_MS ? undefined : cause(querySerial, queryExplain, `a page is ${Math.round(pageBytes / 1024)} KB (${PAGE} channel states with their last messages)`),
      unread_target: `p99 <= ${TARGET_UNREAD_P99_MS} ms, one request at a time`,
      unread_verdict: verdict(unreadSerial.p99_ms !== null && unreadSerial.p99_ms <= TARGET_UNREAD_P99_MS),
      unread_cause: unreadSerial.p99_ms <= TARGET_UNREAD_P99_MS ? undefined : cause(unreadSerial, unreadExplain, `counts for ${channels} channels with unread messages`),
      data_consistent: consistent,
      non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
      errors: runs.reduce((s, r) => s + r.errors + r.timeouts, 0),
      valid: consistent && runs.every((r) => r.non2xx === 0 && r.errors === 0 && r.timeouts === 0 && r.requests > 0),
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
