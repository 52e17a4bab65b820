/**
 * send: POST /v1/channels/{type}/{id}/messages from many users over keep-alive connections
 * (autocannon; each request to a random one of 200 channels, with the token of one of that
 * channel's two members and a unique client_msg_id), at max rate: persisted messages/s (rows in
 * `messages` counted before and after) and p50/p99. In the same run, the baseline: the same
 * single-row INSERT the server makes (same columns, autocommit) through the same `pg` driver and a
 * pool of the server's size (20), with as many concurrent callers as connections. Then 1,000
 * msgs/s offered, evenly paced (open loop) and with autocannon's overallRate: p99.
 *
 * Extra options (after a second `--`, or BENCH_<NAME>): --channels 200, --rate 1000.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { int, scenarioArgs } from '../lib/args.mjs';
import { unthrottledApp } from '../lib/fixture.mjs';
import { resetStatements, startParleyWithDb, startParleyWithStatements, statementYardstick, statementsReport } from '../lib/parley-db.mjs';
import { cpuPer, loadRequests, machine, pacedRequests, treeCpu } from '../lib/requests.mjs';
import { summarize } from '../lib/latency.mjs';
import { userToken } from '../lib/tokens.mjs';

export const description = 'POST messages over 200 channels: persisted msgs/s, p50/p99 vs raw INSERTs (same pg pool size); p99 at 1,000 msgs/s offered';

const TARGET_MSGS_PER_S = 5_000;
const TARGET_RATIO = 0.35;
const TARGET_P99_MS = 25;
const SERVER_POOL_SIZE = 20; // createPool() default in packages/server/src/db/pool.ts
const WARMUP_S = 3;

export const maxSeconds = ({ duration }) => 300 + 6 * duration;

async function call(base, method, path, token, body) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** `count` channels `<prefix><i>` of type messaging, each with two members; resolves to their paths and member tokens. */
async function makeChannels(parley, app, prefix, count) {
  const users = [];
  for (let i = 0; i < count; i++) users.push(`${prefix}a${i}`, `${prefix}b${i}`);
  for (let i = 0; i < users.length; i += 100) {
    await call(parley.url, 'POST', '/v1/users', app.serverToken, { users: users.slice(i, i + 100).map((id) => ({ id, name: `User ${id}` })) });
  }
  const channels = [];
  for (let i = 0; i < count; i += 20) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 20); j++) {
      const members = [`${prefix}a${j}`, `${prefix}b${j}`];
      batch.push(
        call(parley.url, 'POST', '/v1/channels', app.serverToken, { type: 'messaging', id: `${prefix}${j}`, name: `Channel ${j}`, members }).then(async () => ({
          type: 'messaging',
          id: `${prefix}${j}`,
          members,
          tokens: await Promise.all(members.map((m) => userToken(app.keyId, app.secret, m))),
        })),
      );
    }
    channels.push(...(await Promise.all(batch)));
  }
  return channels;
}

const TEXTS = [
  'Deploy is green, merging the release branch now',
  'Can you review the invoice draft before the call tomorrow?',
  'Thanks! Lunch at noon works for me',
  'The flaky test is fixed on staging, shipping to prod after lunch',
  'Meeting notes are in the docs folder, please check the last section',
];

/** A request generator: random channel, random member's token, unique client_msg_id. */
function sender(channels) {
  const run = randomBytes(4).toString('hex');
  let n = 0;
  return () => {
    const channel = channels[Math.floor(Math.random() * channels.length)];
    const token = channel.tokens[Math.floor(Math.random() * channel.tokens.length)];
    n++;
    return {
      method: 'POST',
      path: `/v1/channels/${channel.type}/${channel.id}/messages`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_msg_id: `${run}-${n}`, text: `${TEXTS[n % TEXTS.length]} (#${n})` }),
    };
  };
}

const messageCount = async (db, appId, prefix) => Number((await db.query('select count(*) as n from messages where app_id = $1 and channel_id like $2', [appId, `${prefix}%`])).rows[0].n);

async function dbStats(db) {
  const r = await db.query('select xact_commit, tup_inserted, tup_updated from pg_stat_database where datname = current_database()');
  return Object.fromEntries(Object.entries(r.rows[0]).map(([k, v]) => [k, Number(v)]));
}

/**
 * The server's message INSERT (packages/server/src/actions/send-message.ts, insertMessage), alone:
 * autocommit, through pg.Pool({ max }), from `callers` concurrent loops for `duration` s.
 */
async function rawInserts({ dbUrl, appId, channels, callers, max, duration, pid }) {
  const pool = new pg.Pool({ connectionString: dbUrl, max });
  pool.on('error', () => {});
  const seqs = new Map(channels.map((c) => [c.id, 1_000]));
  const sql = `insert into messages (app_id, id, type, channel_id, seq, user_id, kind, text, html, attachments, custom, parent_id, show_in_channel,
       quoted_message_id, mentioned_user_ids, silent, client_msg_id, request_hash)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) returning created_at`;
  const run = randomBytes(4).toString('hex');
  let n = 0;
  let errors = 0;
  const durations = [];
  // Connect the pool first, as the server's is warm.
  await Promise.all(Array.from({ length: max }, () => pool.query('select 1')));
  const cpuBefore = await treeCpu(pid);
  const deadline = performance.now() + duration * 1000;
  const started = performance.now();
  const loop = async () => {
    while (performance.now() < deadline) {
      const channel = channels[Math.floor(Math.random() * channels.length)];
      const seq = seqs.get(channel.id) + 1;
      seqs.set(channel.id, seq);
      n++;
      const text = `${TEXTS[n % TEXTS.length]} (#${n})`;
      const t0 = performance.now();
      try {
        await pool.query(sql, [
          appId, uuidv7(), channel.type, channel.id, seq, channel.members[n % 2], 'regular', text, `<p>${text}</p>`,
          '[]', {}, null, false, null, [], false, `${run}-${n}`, randomBytes(32).toString('base64url'),
        ]);
        durations.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  const seconds = (performance.now() - started) / 1000;
  // Before pool.end(): the pool's backends must still be alive to be counted.
  const cpu = cpuPer(cpuBefore, await treeCpu(pid), durations.length);
  await pool.end();
  return { inserts: durations.length, seconds, per_s: Math.round(durations.length / seconds), errors, pg_cpu_us: cpu.pg_cpu_us, ...summarize(durations) };
}

export async function run({ duration = 10, connections = 50 }) {
  const loadAtStart = (await machine()).loadavg_1m;
  const extra = scenarioArgs({ channels: { type: 'string', default: '200' }, rate: { type: 'string', default: '1000' } });
  const channelCount = int(extra.channels, 'channels', { max: 10_000 });
  const rate = int(extra.rate, 'rate', { max: 100_000 });
  const statements = process.env.BENCH_PG_STATEMENTS === '1';
  const parley = statements ? await startParleyWithStatements() : await startParleyWithDb();
  const db = new pg.Client({ connectionString: parley.dbUrl });
  await db.connect();
  try {
    const app = await unthrottledApp(parley, 'bench-send');
    console.error(`bench: creating ${channelCount} channels with 2 members each (API), and ${channelCount} for the raw INSERTs`);
    const channels = await makeChannels(parley, app, 'send-', channelCount);
    const rawChannels = await makeChannels(parley, app, 'raw-', channelCount);
    const next = sender(channels);
    const first = next();
    await call(parley.url, 'POST', first.path, first.headers.authorization.slice(7), JSON.parse(first.body));

    const yardstick = await statementYardstick(parley.dbUrl, parley.pid);
    console.error(`bench: warming up, ${WARMUP_S} s`);
    await loadRequests({ url: parley.url, next, duration: WARMUP_S, connections });

    console.error(`bench: POST messages, max rate, ${connections} connections, ${duration} s`);
    const before = await messageCount(db, app.appId, 'send-');
    const statsBefore = await dbStats(db);
    if (statements) await resetStatements(db);
    const cpuBefore = await treeCpu(parley.pid);
    const api = await loadRequests({ url: parley.url, next, duration, connections });
    const cpuAfter = await treeCpu(parley.pid);
    const statsAfter = await dbStats(db);
    const after = await messageCount(db, app.appId, 'send-');
    const persisted = after - before;
    const statementFigures = statements ? await statementsReport(db, persisted) : undefined;
    const apiPerS = Math.round(persisted / api.seconds);
    const per = (k) => Number(((statsAfter[k] - statsBefore[k]) / Math.max(persisted, 1)).toFixed(1));

    console.error(`bench: raw INSERT baseline, pool of ${SERVER_POOL_SIZE}, ${connections} concurrent callers, ${duration} s`);
    const rawBefore = await messageCount(db, app.appId, 'raw-');
    const raw = await rawInserts({ dbUrl: parley.dbUrl, appId: app.appId, channels: rawChannels, callers: connections, max: SERVER_POOL_SIZE, duration, pid: parley.pid });
    const rawPersisted = (await messageCount(db, app.appId, 'raw-')) - rawBefore;

    console.error(`bench: POST messages, evenly paced ${rate}/s, ${duration} s`);
    const paced = await pacedRequests({ url: parley.url, next, rate, duration });
    console.error(`bench: POST messages, autocannon overallRate ${rate}, ${connections} connections, ${duration} s`);
    const fixed = await loadRequests({ url: parley.url, next, duration, connections, overallRate: rate });

    const ratio = Number((apiPerS / raw.per_s).toFixed(3));
    const cpu = cpuPer(cpuBefore, cpuAfter, persisted);
    const cores = (await machine()).cpus;
    const causes = {
      throughput:
        `CPU per message: ${cpu.server_cpu_us} µs server + ${cpu.pg_cpu_us} µs PostgreSQL; ${TARGET_MSGS_PER_S} msgs/s on ${cores} cores allows ${Math.round((cores * 1e6) / TARGET_MSGS_PER_S)} µs in all` +
        (raw.per_s < TARGET_MSGS_PER_S ? `; even the raw INSERT baseline reached only ${raw.per_s}/s here` : ''),
      ratio: `a sent message costs ${cpu.server_cpu_us === null ? '?' : cpu.server_cpu_us + cpu.pg_cpu_us} µs of CPU (server + PostgreSQL) against ${raw.pg_cpu_us} µs of PostgreSQL CPU for the raw INSERT`,
      p99: paced.saturated ? `saturated: the server answered ${paced.rps} msgs/s of the ${rate} offered, so latency is queueing` : `p99 ${paced.p99_ms} ms`,
    };
    const verdict = (met) => (met ? 'met' : 'missed');
    const runs = [api, paced, fixed];
    return {
      scenario: 'send',
      api_msgs_per_s: apiPerS,
      api_persisted: persisted,
      api_responses: api.requests,
      api_p50_ms: api.p50_ms,
      api_p99_ms: api.p99_ms,
      api_max_ms: api.max_ms,
      raw_inserts_per_s: raw.per_s,
      raw_persisted: rawPersisted,
      raw_p50_ms: raw.p50_ms,
      raw_p99_ms: raw.p99_ms,
      raw_pg_cpu_us: raw.pg_cpu_us,
      ratio,
      fixed_rate_offered: rate,
      paced_rps: paced.rps,
      paced_p50_ms: paced.p50_ms,
      paced_p99_ms: paced.p99_ms,
      paced_max_ms: paced.max_ms,
      paced_saturated: paced.saturated,
      overall_rate_p50_ms: fixed.p50_ms,
      overall_rate_p99_ms: fixed.p99_ms,
      ...cpu,
      // pg_stat_database over the max-rate phase, per persisted message (xact_commit: transactions and autocommit statements)
      pg_per_msg: { xact_commit: per('xact_commit'), tup_inserted: per('tup_inserted'), tup_updated: per('tup_updated') },
      pg_statements: statementFigures,
      throughput_target: `>= ${TARGET_MSGS_PER_S} msgs/s`,
      throughput_verdict: verdict(apiPerS >= TARGET_MSGS_PER_S),
      throughput_cause: apiPerS >= TARGET_MSGS_PER_S ? undefined : causes.throughput,
      ratio_target: `>= ${TARGET_RATIO}`,
      ratio_verdict: verdict(ratio >= TARGET_RATIO),
      ratio_cause: ratio >= TARGET_RATIO ? undefined : causes.ratio,
      p99_target: `< ${TARGET_P99_MS} ms at ${rate} msgs/s offered (evenly paced)`,
      p99_verdict: verdict(!paced.saturated && paced.p99_ms !== null && paced.p99_ms < TARGET_P99_MS),
      p99_cause: !paced.saturated && paced.p99_ms !== null && paced.p99_ms < TARGET_P99_MS ? undefined : causes.p99,
      non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
      errors: runs.reduce((s, r) => s + r.errors + r.timeouts, 0) + raw.errors,
      status: api.status,
      valid: runs.every((r) => r.non2xx === 0 && r.errors === 0 && r.timeouts === 0) && raw.errors === 0 && persisted > 0,
      channels: channelCount,
      ...yardstick,
      loadavg_1m_start: loadAtStart,
      duration_s: duration,
      connections,
      server_pool: SERVER_POOL_SIZE,
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
