/**
 * fanout: many WebSocket clients on one node. Default layout (bench/lib/fanout-fixture.mjs):
 * 1,000 channels × 10 members + 1 channel × 1,000 members, 15,000 connections (10,000 + 1,000
 * members and 4,000 second devices), made by generator processes (bench/lib/ws-generator.mjs:
 * raw `ws` clients speaking the Centrifugo JSON protocol, ≤ 5,000 sockets a process, each process
 * bound to its own source address 127.0.0.2, .3, …). Figures:
 * - server RSS per idle connection (connected and subscribed, nothing sent): RSS after − before,
 *   ÷ connections;
 * - send → deliver p50/p99 at `--rate` (1,000) messages/s offered, evenly paced (open loop), each
 *   message to a uniformly random channel, sent through REST (POST …/messages): the generators
 *   read the send time from the message text; also created_at → deliver (the server side);
 * - deliveries/s at saturation: closed-loop sends (`--senders` keep-alive connections) into the
 *   1,000-member channel for `--saturate-s` seconds, deliveries counted by the generators;
 * then the same clients (same processes, same source addresses) against a raw `ws` server
 * (bench/servers/raw-ws.mjs) broadcasting the same frames: the same three figures, and
 * `deliveries_ratio` = Parley ÷ raw.
 *
 * Options (after a second `--`, or BENCH_<NAME>): --clients 15000 --channels 1000 --members 10
 * --big 1000 --rate 1000 --latency-s 10 --saturate-s 10 --senders 16 --per-process 5000
 * --connect-rate 1000 --sustainable-rate <msgs/s> (a second paced run at that rate; by default
 * one at a quarter of what the server answered, when the first run saturated) --raw false (Parley
 * only, e.g. to profile it).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { int, scenarioArgs } from '../lib/args.mjs';
import { cpuSeconds } from '../lib/cpu.mjs';
import { BIG, layout, pacedSends, parleySender, rawSender, seed, templateOf } from '../lib/fanout-fixture.mjs';
import { unthrottledApp } from '../lib/fixture.mjs';
import { summarize } from '../lib/latency.mjs';
import { startParleyWithDb } from '../lib/parley-db.mjs';
import { spawnChild } from '../lib/processes.mjs';
import { freePort, waitUntilReady } from '../lib/ready.mjs';
import { loadRequests, machine } from '../lib/requests.mjs';
import { merge, startFleet } from '../lib/ws-fleet.mjs';

export const description = 'WebSocket fan-out: 15,000 connections, 1,000 ch × 10 + 1 × 1,000; send→deliver p50/p99 at 1,000 msgs/s, deliveries/s at saturation vs a raw ws server, RSS per idle connection';

const TARGET_P50_MS = 10;
const TARGET_P99_MS = 25;
const TARGET_RATIO = 0.7;
const TARGET_RSS_KB = 8;

export const maxSeconds = () => 1_800;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's JS heap in use (Parley's /metrics), or null. */
async function heapUsed(url) {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const match = text.match(/^parley_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

function rssBytes(pid) {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return match ? Number(match[1]) * 1024 : null;
}

/** RSS once it has settled: the lowest of a few samples a second apart. */
async function settledRss(pid, samples = 5) {
  let low = Infinity;
  for (let i = 0; i < samples; i++) {
    low = Math.min(low, rssBytes(pid));
    await sleep(1_000);
  }
  return low;
}

function options() {
  const o = scenarioArgs({
    clients: { type: 'string', default: '15000' },
    channels: { type: 'string', default: '1000' },
    members: { type: 'string', default: '10' },
    big: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '1000' },
    'latency-s': { type: 'string', default: '10' },
    'saturate-s': { type: 'string', default: '10' },
    senders: { type: 'string', default: '16' },
    'per-process': { type: 'string', default: '5000' },
    'connect-rate': { type: 'string', default: '1000' },
    presence: { type: 'string', default: 'true' },
    'sustainable-rate': { type: 'string', default: '' },
    raw: { type: 'string', default: 'true' },
  });
  return {
    clients: int(o.clients, 'clients', { max: 100_000 }),
    channels: int(o.channels, 'channels', { min: 1, max: 100_000 }),
    members: int(o.members, 'members', { max: 1_000 }),
    big: int(o.big, 'big', { min: 0, max: 100_000 }),
    rate: int(o.rate, 'rate', { max: 100_000 }),
    latencyS: int(o['latency-s'], 'latency-s', { max: 600 }),
    saturateS: int(o['saturate-s'], 'saturate-s', { max: 600 }),
    senders: int(o.senders, 'senders', { max: 1_000 }),
    perProcess: int(o['per-process'], 'per-process', { max: 18_000 }),
    connectRate: int(o['connect-rate'], 'connect-rate', { max: 100_000 }),
    presence: o.presence !== 'false' && o.presence !== '0',
    sustainableRate: o['sustainable-rate'] ? int(o['sustainable-rate'], 'sustainable-rate', { max: 100_000 }) : null,
    raw: o.raw !== 'false' && o.raw !== '0',
  };
}

/** Open-loop sends at `rate` for `seconds`, then the deliveries the generators saw. */
async function pacedRun({ name, fleet, url, plan, send, rate, seconds }) {
  console.error(`bench: ${name}: ${rate} msgs/s offered, evenly paced, ${seconds} s`);
  await fleet.all('start', { latency: true });
  const paced = await pacedSends({ url, next: send(), rate, duration: seconds });
  await sleep(3_000);
  const delivered = merge(await fleet.all('stop'));
  const ok = paced.records.filter((r) => r.status >= 200 && r.status < 300);
  const expected = ok.reduce((sum, r) => sum + (plan.subscribers.get(r.channel) ?? 0), 0);
  const sendLatency = summarize(delivered.latencies ?? []);
  const requests = summarize(paced.records.map((r) => r.ms));
  const result = {
    offered_per_s: rate,
    sent: paced.sent,
    answered_per_s: Math.round(ok.length / paced.seconds),
    saturated: paced.saturated,
    non2xx: paced.records.length - ok.length,
    errors: paced.errors,
    request_p50_ms: requests.p50_ms,
    request_p99_ms: requests.p99_ms,
    deliveries: delivered.deliveries ?? 0,
    expected_deliveries: expected,
    personal_pushes: delivered.personal ?? 0,
    send_to_deliver_p50_ms: sendLatency.p50_ms,
    send_to_deliver_p99_ms: sendLatency.p99_ms,
    send_to_deliver_max_ms: sendLatency.max_ms,
    gaps: delivered.gaps ?? 0,
    duplicates: delivered.duplicates ?? 0,
    unexpected_closes: delivered.unexpectedCloses ?? {},
  };
  // created_at → delivery: Parley's own share (the raw baseline's events carry a copied created_at).
  if (name === 'parley' && delivered.serverLatencies?.length) {
    const server = summarize(delivered.serverLatencies);
    Object.assign(result, { created_to_deliver_p50_ms: server.p50_ms, created_to_deliver_p99_ms: server.p99_ms });
  }
  console.error(`bench: ${name}: ${JSON.stringify(result)}`);
  return result;
}

/**
 * One target (Parley or raw): connect every client, idle RSS, paced latency run, saturation run.
 * `send(only)` makes the request generator; `expected(records)` the deliveries the sends should make.
 */
async function measureTarget({ name, fleet, url, wsUrl, pid, plan, opts, send, sample = false }) {
  const result = { target: name };
  const rssBefore = await settledRss(pid);
  const heapBefore = name === 'parley' ? await heapUsed(url) : null;
  console.error(`bench: ${name}: connecting ${plan.clients.length} clients from ${fleet.addresses.join(', ')} (${opts.connectRate}/s)`);
  const connectStarted = performance.now();
  await fleet.all('start', { latency: false });
  const connected = merge(await fleet.all('connect', { url: wsUrl, rate: Math.ceil(opts.connectRate / fleet.generators.length), timeoutMs: 60_000 }, 900_000));
  // What the server pushed on the personal channels while the clients connected (Parley:
  // user.presence.changed to every online member of the channels of each user coming online).
  result.connect_personal_pushes = merge(await fleet.all('stop')).personal ?? 0;
  result.connect_s = Number(((performance.now() - connectStarted) / 1000).toFixed(1));
  result.connected = connected.ok;
  result.connect_failed = connected.failed;
  if (connected.failed) result.connect_errors = connected.errors;
  console.error(`bench: ${name}: ${connected.ok} connected, ${connected.failed} failed in ${result.connect_s} s`);
  const rssAfter = await settledRss(pid);
  const heapAfter = name === 'parley' ? await heapUsed(url) : null;
  if (heapBefore !== null && heapAfter !== null) result.heap_per_conn_kb = Number(((heapAfter - heapBefore) / 1024 / Math.max(connected.ok, 1)).toFixed(2));
  result.rss_before_mb = Number((rssBefore / 2 ** 20).toFixed(1));
  result.rss_after_mb = Number((rssAfter / 2 ** 20).toFixed(1));
  result.rss_per_conn_kb = Number(((rssAfter - rssBefore) / 1024 / Math.max(connected.ok, 1)).toFixed(2));

  // send → deliver at the offered rate (and, when the server cannot take it, at a rate it can)
  const sampled = sample ? fleet.generators[0].call('sample', {}, 60_000) : null;
  result.paced = await pacedRun({ name, fleet, url, plan, send, rate: opts.rate, seconds: opts.latencyS });
  if (result.paced.saturated || opts.sustainableRate) {
    const rate = opts.sustainableRate ?? Math.max(10, Math.floor(result.paced.answered_per_s * 0.25));
    result.paced_sustainable = await pacedRun({ name, fleet, url, plan, send, rate, seconds: opts.latencyS });
  }
  const frame = sampled ? await sampled : null;

  // deliveries/s at saturation: closed loop into the big channel
  const bigChannel = plan.channels.find((c) => c.id === BIG) ?? plan.channels[0];
  console.error(`bench: ${name}: saturation, ${opts.senders} closed-loop senders into ${bigChannel.id} (${plan.subscribers.get(bigChannel.name)} subscribers), ${opts.saturateS} s`);
  const cpuBefore = cpuSeconds(pid);
  await fleet.all('start', { latency: false });
  const started = performance.now();
  const load = await loadRequests({ url, next: send(bigChannel), duration: opts.saturateS, connections: opts.senders });
  const window = merge(await fleet.all('stop'));
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds(pid);
  await sleep(3_000);
  result.saturation = {
    sends: load.requests,
    sends_per_s: Math.round(load.requests / seconds),
    send_p50_ms: load.p50_ms,
    send_p99_ms: load.p99_ms,
    non2xx: load.non2xx,
    deliveries: window.deliveries ?? 0,
    deliveries_per_s: Math.round((window.deliveries ?? 0) / seconds),
    // Frames on the clients' personal channels (user#…) in the same window: Parley notifies every
    // other member of each message (notification.message_new), the raw baseline does not.
    personal_pushes_per_s: Math.round((window.personal ?? 0) / seconds),
    server_cpu_us_per_delivery: cpuBefore === null ? null : Number((((cpuAfter - cpuBefore) * 1e6) / Math.max(window.deliveries ?? 0, 1)).toFixed(2)),
    gaps: window.gaps ?? 0,
    duplicates: window.duplicates ?? 0,
    unexpected_closes: window.unexpectedCloses ?? {},
    open_after: window.open ?? 0,
  };
  console.error(`bench: ${name}: ${JSON.stringify(result.saturation)}`);
  await fleet.all('close', {}, 120_000);
  return { result, frame };
}

export async function run() {
  const opts = options();
  const loadAtStart = (await machine()).loadavg_1m;
  const plan = layout(opts);
  const parley = await startParleyWithDb();
  let fleet = null;
  let raw = null;
  try {
    const app = await unthrottledApp(parley, 'bench-fanout');
    const tokens = await seed(parley, app, plan, opts);
    fleet = await startFleet({ clients: plan.clients, keyId: app.keyId, secret: app.secret, perProcess: opts.perProcess });
    const wsUrl = `${parley.url.replace('http', 'ws')}/connection/websocket`;
    const parleyRun = await measureTarget({
      name: 'parley',
      fleet,
      url: parley.url,
      wsUrl,
      pid: parley.pid,
      plan,
      opts,
      sample: true,
      send: (only = null) => parleySender(plan.channels, tokens, { only }),
    });
    if (!opts.raw) return { scenario: 'fanout', clients: plan.clients.length, parley: parleyRun.result, raw: null, revision: parley.revision, ...(await machine()), date: new Date().toISOString() };
    if (!parleyRun.frame) throw new Error('no delivered frame to build the raw baseline from');
    const template = templateOf(parleyRun.frame);

    const port = await freePort();
    const script = fileURLToPath(new URL('../servers/raw-ws.mjs', import.meta.url));
    const proc = spawnChild(process.execPath, [script], { env: { ...process.env, PORT: String(port) }, name: 'raw-ws' });
    raw = { url: `http://127.0.0.1:${port}`, pid: proc.child.pid, stop: () => proc.stop() };
    await waitUntilReady(`${raw.url}/healthz`, proc, 30_000);
    const rawRun = await measureTarget({
      name: 'raw-ws',
      fleet,
      url: raw.url,
      wsUrl: `ws://127.0.0.1:${port}/connection/websocket`,
      pid: raw.pid,
      plan,
      opts,
      send: (only = null) => rawSender(plan.channels, template, { only }),
    });

    const p = parleyRun.result;
    const r = rawRun.result;
    const ratio = Number((p.saturation.deliveries_per_s / Math.max(r.saturation.deliveries_per_s, 1)).toFixed(3));
    const verdict = (met) => (met ? 'met' : 'missed');
    const latencyMet = !p.paced.saturated && p.paced.send_to_deliver_p50_ms !== null && p.paced.send_to_deliver_p50_ms <= TARGET_P50_MS && p.paced.send_to_deliver_p99_ms <= TARGET_P99_MS;
    return {
      scenario: 'fanout',
      clients: plan.clients.length,
      layout: `${opts.channels} × ${opts.members} + 1 × ${opts.big}`,
      presence: opts.presence,
      generators: fleet.generators.length,
      source_addresses: fleet.addresses,
      parley: p,
      raw: r,
      deliveries_ratio: ratio,
      latency_target: `send→deliver p50 <= ${TARGET_P50_MS} ms, p99 <= ${TARGET_P99_MS} ms at ${opts.rate} msgs/s offered`,
      latency_verdict: verdict(latencyMet),
      ratio_target: `deliveries/s >= ${TARGET_RATIO} × raw ws`,
      ratio_verdict: verdict(ratio >= TARGET_RATIO),
      rss_target: `<= ${TARGET_RSS_KB} KB per idle connection`,
      rss_verdict: verdict(p.rss_per_conn_kb <= TARGET_RSS_KB),
      valid: p.connect_failed === 0 && r.connect_failed === 0 && p.paced.gaps === 0 && p.paced.duplicates === 0,
      loadavg_1m_start: loadAtStart,
      database: 'embedded',
      revision: parley.revision,
      ...(await machine()),
      date: new Date().toISOString(),
    };
  } finally {
    await fleet?.stop().catch(() => {});
    await raw?.stop().catch(() => {});
    await parley.stop();
  }
}
