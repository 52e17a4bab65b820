/**
 * reconnect-storm: the fanout layout (bench/lib/fanout-fixture.mjs; default 15,000 connections over
 * 1,000 channels × 10 members + 1 × 1,000, from generator processes on 127.0.0.2, .3, …) connected
 * and subscribed; messages keep coming through REST at `--rate` per second (a `--big-share` of them
 * into the big channel, the rest to random small channels; each big-channel message is ~2,000
 * frames: one per subscriber and a notification.message_new per other member). Then every socket
 * is dropped at once (terminated, no close frame: a load balancer or network path going away) and
 * every client
 * reconnects after a random delay within `--spread-s` (10 s), resubscribing with recovery from its
 * last offset and epoch. Figures:
 * - how long until every client had its subscribe reply (`storm_s`; target: by the end of the
 *   reconnect window + 1 s, i.e. the server keeps up), each client's own reconnect time (first
 *   attempt → subscribe reply), and how many were `recovered: true` (target: 100%);
 * - gaps and duplicates: every publication's offset checked against the previous one, the recovered
 *   ones included; at the end every client's position must be its channel's last_seq from the
 *   database (target: 0 gaps, 0 duplicates, 0 behind);
 * - REST send latency of the messages sent during the storm (target p99 < 100 ms), next to the
 *   same figure just before it.
 *
 * Options (after a second `--`, or BENCH_<NAME>): --clients 15000 --channels 1000 --members 10
 * --big 1000 --spread-s 10 --rate 50 --big-share 0.02 --per-process 5000 --connect-rate 1000.
 *
 * A client whose attempt fails is retried as the centrifuge client would (transport errors,
 * timeouts, close codes below 3500: backoff from 500 ms doubling to 20 s, full jitter); a close
 * code of 3500 or more (3502 "stale": the server had not answered its connect within 10 s) ends it,
 * as it would end a real client. Clients still failing after 300 s count as failed.
 */
import pg from 'pg';
import { int, scenarioArgs } from '../lib/args.mjs';
import { BIG, layout, pacedSends, parleySender, seed } from '../lib/fanout-fixture.mjs';
import { unthrottledApp } from '../lib/fixture.mjs';
import { summarize } from '../lib/latency.mjs';
import { startParleyWithDb } from '../lib/parley-db.mjs';
import { machine, treeCpu } from '../lib/requests.mjs';
import { merge, startFleet } from '../lib/ws-fleet.mjs';

export const description = 'every client drops and reconnects within 10 s with recovery: % recovered, gaps/duplicates vs the database, REST send p99 during the storm';

/** How long after the end of the reconnect window the last client may take. */
const STORM_GRACE_S = 1;
const TARGET_P99_MS = 100;

export const maxSeconds = () => 1_800;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function options() {
  const o = scenarioArgs({
    clients: { type: 'string', default: '15000' },
    channels: { type: 'string', default: '1000' },
    members: { type: 'string', default: '10' },
    big: { type: 'string', default: '1000' },
    'spread-s': { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    'big-share': { type: 'string', default: '0.02' },
    'per-process': { type: 'string', default: '5000' },
    'connect-rate': { type: 'string', default: '1000' },
    presence: { type: 'string', default: 'true' },
  });
  const bigShare = Number(o['big-share']);
  if (!(bigShare >= 0 && bigShare <= 1)) throw new Error('--big-share must be between 0 and 1');
  return {
    clients: int(o.clients, 'clients', { max: 100_000 }),
    channels: int(o.channels, 'channels', { min: 1, max: 100_000 }),
    members: int(o.members, 'members', { max: 1_000 }),
    big: int(o.big, 'big', { min: 0, max: 100_000 }),
    spreadS: int(o['spread-s'], 'spread-s', { min: 0, max: 600 }),
    rate: int(o.rate, 'rate', { max: 10_000 }),
    bigShare,
    perProcess: int(o['per-process'], 'per-process', { max: 18_000 }),
    connectRate: int(o['connect-rate'], 'connect-rate', { max: 100_000 }),
    presence: o.presence !== 'false' && o.presence !== '0',
  };
}

export async function run() {
  const opts = options();
  const loadAtStart = (await machine()).loadavg_1m;
  const plan = layout(opts);
  const parley = await startParleyWithDb();
  const db = new pg.Client({ connectionString: parley.dbUrl });
  await db.connect();
  let fleet = null;
  try {
    const app = await unthrottledApp(parley, 'bench-storm');
    const tokens = await seed(parley, app, plan, opts);
    fleet = await startFleet({ clients: plan.clients, keyId: app.keyId, secret: app.secret, perProcess: opts.perProcess });
    const wsUrl = `${parley.url.replace('http', 'ws')}/connection/websocket`;
    console.error(`bench: connecting ${plan.clients.length} clients from ${fleet.addresses.join(', ')}`);
    const connectStarted = performance.now();
    const connected = merge(await fleet.all('connect', { url: wsUrl, rate: Math.ceil(opts.connectRate / fleet.generators.length), timeoutMs: 60_000 }, 900_000));
    const connectS = (performance.now() - connectStarted) / 1000;
    console.error(`bench: ${connected.ok} connected, ${connected.failed} failed in ${connectS.toFixed(1)} s`);
    await sleep(3_000);

    // Messages all along: before, during and after the storm.
    const small = plan.channels.filter((c) => c.id !== BIG);
    const big = plan.channels.find((c) => c.id === BIG);
    const toSmall = parleySender(small, tokens);
    const toBig = big ? parleySender(plan.channels, tokens, { only: big }) : toSmall;
    const next = () => (Math.random() < opts.bigShare ? toBig() : toSmall());
    let stop = false;
    const sending = pacedSends({ url: parley.url, next, rate: opts.rate, duration: Infinity, until: () => stop, stopWhenSaturated: false });
    const sendStarted = performance.now();
    await sleep(3_000);

    console.error(`bench: storm: every socket dropped, reconnecting within ${opts.spreadS} s with recovery`);
    const stormStartedAt = performance.now() - sendStarted;
    await fleet.all('start', { latency: false });
    const cpuBefore = await treeCpu(parley.pid);
    const stormResults = await fleet.all('storm', { url: wsUrl, spreadMs: opts.spreadS * 1000, timeoutMs: 30_000, deadlineMs: 300_000 }, 900_000);
    const stormEndedAt = performance.now() - sendStarted;
    const stormWindow = merge(await fleet.all('stop'));
    const cpuAfter = await treeCpu(parley.pid);
    const perReconnect = (a, b) => (a === null || b === null ? null : Number((((a - b) * 1000) / plan.clients.length).toFixed(2)));
    const storm = merge(stormResults);
    const stormS = Math.max(...stormResults.map((r) => r.lastMs)) / 1000;
    const doneTimes = stormResults.flatMap((r) => r.doneTimes);
    const reconnect = summarize(stormResults.flatMap((r) => r.reconnectTimes));
    console.error(`bench: storm: ${storm.ok} resubscribed (${storm.recovered} recovered), ${storm.failed} failed, last after ${stormS.toFixed(1)} s`);
    await sleep(3_000);
    stop = true;
    const sends = await sending;
    await sleep(5_000);

    const rows = await db.query('select type, id, last_seq from channels where app_id = $1', [app.appId]);
    const lastSeq = Object.fromEntries(rows.rows.map((r) => [`chat:${r.type}:${r.id}`, Number(r.last_seq)]));
    const verified = merge(await fleet.all('verify', { lastSeq }));
    const ok = sends.records.filter((r) => r.status >= 200 && r.status < 300);
    const during = sends.records.filter((r) => r.issuedAt >= stormStartedAt && r.issuedAt <= stormEndedAt);
    const before = sends.records.filter((r) => r.issuedAt < stormStartedAt);
    const duringLatency = summarize(during.map((r) => r.ms));
    // The same without the first second after the drop, when the server tears down every
    // connection at once (to tell that burst from the reconnects).
    const afterDrop = summarize(during.filter((r) => r.issuedAt >= stormStartedAt + 1_000).map((r) => r.ms));
    const beforeLatency = summarize(before.map((r) => r.ms));
    const completion = summarize(doneTimes);
    const recoveredShare = Number((storm.recovered / plan.clients.length).toFixed(4));
    const verdict = (met) => (met ? 'met' : 'missed');
    return {
      scenario: 'reconnect-storm',
      clients: plan.clients.length,
      layout: `${opts.channels} × ${opts.members} + 1 × ${opts.big}`,
      presence: opts.presence,
      generators: fleet.generators.length,
      source_addresses: fleet.addresses,
      connect_s: Number(connectS.toFixed(1)),
      connected: connected.ok,
      spread_s: opts.spreadS,
      storm_s: Number(stormS.toFixed(2)),
      resubscribe_done_p50_s: completion.p50_ms === null ? null : Number((completion.p50_ms / 1000).toFixed(2)),
      resubscribe_done_p99_s: completion.p99_ms === null ? null : Number((completion.p99_ms / 1000).toFixed(2)),
      // Per client: from its first attempt to its subscribe reply (retries included).
      reconnect_p50_ms: reconnect.p50_ms,
      reconnect_p99_ms: reconnect.p99_ms,
      reconnect_max_ms: reconnect.max_ms,
      resubscribed: storm.ok,
      failed: storm.failed,
      failures: storm.errors,
      retried: storm.retried,
      attempts: storm.attempts,
      // CPU during the storm (sends included), per reconnecting client: the server process, and its
      // descendants (the embedded PostgreSQL).
      storm_server_cpu_ms_per_client: perReconnect(cpuAfter.own, cpuBefore.own),
      storm_pg_cpu_ms_per_client: perReconnect(cpuAfter.descendants, cpuBefore.descendants),
      storm_chat_deliveries: stormWindow.deliveries ?? 0,
      storm_personal_pushes: stormWindow.personal ?? 0,
      recovered: storm.recovered,
      recovered_share: recoveredShare,
      gaps: verified.gaps,
      duplicates: verified.duplicates,
      behind: verified.behind,
      ahead: verified.ahead,
      unknown_position: verified.unknown,
      sends_offered_per_s: opts.rate,
      sends: sends.sent,
      sends_ok: ok.length,
      sends_non2xx: sends.records.length - ok.length,
      sends_errors: sends.errors,
      sender_saturated: sends.saturated,
      send_before_p50_ms: beforeLatency.p50_ms,
      send_before_p99_ms: beforeLatency.p99_ms,
      send_during_storm_count: during.length,
      send_during_storm_p50_ms: duringLatency.p50_ms,
      send_during_storm_p99_ms: duringLatency.p99_ms,
      send_during_storm_max_ms: duringLatency.max_ms,
      send_during_storm_after_1s_p50_ms: afterDrop.p50_ms,
      send_during_storm_after_1s_p99_ms: afterDrop.p99_ms,
      // The clients come back spread over the 10 s; the server keeps up when the last one is
      // resubscribed within a second of the end of that window.
      storm_target: `every client (reconnecting within ${opts.spreadS} s of the drop) resubscribed by ${opts.spreadS + STORM_GRACE_S} s`,
      storm_verdict: verdict(storm.failed === 0 && stormS <= opts.spreadS + STORM_GRACE_S),
      recovery_target: '100% recovered, 0 gaps, 0 duplicates, every position at last_seq',
      recovery_verdict: verdict(storm.recovered === plan.clients.length && verified.gaps === 0 && verified.duplicates === 0 && verified.behind === 0 && verified.ahead === 0 && verified.unknown === 0),
      send_target: `REST send p99 < ${TARGET_P99_MS} ms during the storm`,
      send_verdict: verdict(duringLatency.p99_ms !== null && duringLatency.p99_ms < TARGET_P99_MS && !sends.saturated),
      loadavg_1m_start: loadAtStart,
      database: 'embedded',
      revision: parley.revision,
      ...(await machine()),
      date: new Date().toISOString(),
    };
  } finally {
    await fleet?.stop().catch(() => {});
    await db.end().catch(() => {});
    await parley.stop();
  }
}
