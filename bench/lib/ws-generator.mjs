/**
 * A WebSocket load generator process (forked by ws-fleet.mjs): raw `ws` clients speaking the
 * Centrifugo JSON protocol by hand (cheaper than the centrifuge client at this scale), every
 * socket bound to one source address (`localAddress`, 127.0.0.x) so that several generators
 * spread over several loopback addresses and each process stays under its open-files limit.
 *
 * Each client: connect + subscribe in one frame (as the centrifuge client batches them), then
 * answers the server's pings (`{}`), counts the publications of its channel, checks their offsets
 * (each the previous + 1: a lower one is a duplicate, a higher one a gap), and in latency mode
 * reads the send time the sender wrote at the start of the message text (`bench:<ms>:`).
 *
 * Driven over IPC by request/response messages `{rid, cmd, ...}` → `{rid, ok, result | error}`.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { userToken } from './tokens.mjs';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @type {Array<{user: string, channel: string, token?: string, ws?: WebSocket, offset?: number, epoch?: string, state: string}>} */
let clients = [];
let setup = null;
let measuring = false;
let latencyMode = false;
let counters = freshCounters();
/** Offset errors since the clients last (re)started from scratch: never reset by a measurement window. */
const integrity = { gaps: 0, duplicates: 0 };

function freshCounters() {
  return { deliveries: 0, personal: 0, latencies: [], serverLatencies: [], gaps: 0, duplicates: 0, unexpectedCloses: {}, started: now() };
}

const TEXT_MARK = '"text":"bench:';
const CREATED_MARK = '"created_at":"';

function onPublication(client, text) {
  if (text.startsWith('{"push":{"channel":"user#')) {
    if (measuring) counters.personal++;
    return;
  }
  const at = text.lastIndexOf('"offset":');
  if (at >= 0 && client.offset !== undefined) {
    const offset = parseInt(text.slice(at + 9), 10);
    if (offset === client.offset + 1) client.offset = offset;
    else if (offset <= client.offset) {
      counters.duplicates++;
      integrity.duplicates++;
    } else {
      counters.gaps++;
      integrity.gaps++;
      client.offset = offset;
    }
  }
  if (!measuring) return;
  counters.deliveries++;
  if (latencyMode) {
    const mark = text.indexOf(TEXT_MARK);
    if (mark >= 0) {
      const received = now();
      const sent = parseFloat(text.slice(mark + TEXT_MARK.length));
      counters.latencies.push(received - sent);
      // Server side: the message's created_at (ms, set in the send transaction) to delivery.
      const created = text.indexOf(CREATED_MARK, text.indexOf('"message":'));
      if (created >= 0) counters.serverLatencies.push(received - Date.parse(text.slice(created + CREATED_MARK.length, created + CREATED_MARK.length + 24)));
    }
  }
}

/** Opens one client: connect + subscribe (with recovery when it has a position). Resolves to the subscribe reply. */
function open(client, url, { recover = false, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      done({ ok: false, error: 'timeout' });
      ws.terminate();
    }, timeoutMs);
    const ws = new WebSocket(url, { localAddress: setup.localAddress, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    client.ws = ws;
    client.state = 'connecting';
    ws.on('open', () => {
      const subscribe = { channel: client.channel };
      if (recover && client.offset !== undefined) Object.assign(subscribe, { recover: true, offset: client.offset, epoch: client.epoch });
      ws.send(`${JSON.stringify({ id: 1, connect: { token: client.token, name: 'bench' } })}\n${JSON.stringify({ id: 2, subscribe })}`);
    });
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === '{}') {
        ws.send('{}');
        return;
      }
      if (text.startsWith('{"push"')) {
        onPublication(client, text);
        return;
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        const reply = JSON.parse(line);
        if (reply.id === 1 && reply.error) done({ ok: false, error: `connect ${reply.error.code} ${reply.error.message}` });
        if (reply.id === 2) {
          if (reply.error) return done({ ok: false, error: `subscribe ${reply.error.code} ${reply.error.message}` });
          const result = reply.subscribe ?? {};
          if (result.recovered && client.offset !== undefined) {
            // The recovered publications go through the same checks from the old position; after
            // them the client must be at the reply's position (Parley: the top of the stream).
            for (const pub of result.publications ?? []) onPublication(client, JSON.stringify({ push: { channel: client.channel, pub } }));
            if (typeof result.offset === 'number' && result.offset > client.offset) {
              counters.gaps++;
              integrity.gaps++;
              client.offset = result.offset;
            }
          } else client.offset = result.offset;
          client.epoch = result.epoch;
          client.state = 'subscribed';
          done({ ok: true, recovered: result.recovered === true, wasRecovering: result.was_recovering === true, at: now() });
        }
      }
    });
    ws.on('error', (error) => done({ ok: false, error: error.code ?? error.message }));
    ws.on('close', (code) => {
      done({ ok: false, error: `closed ${code}` });
      if (client.ws === ws && client.state !== 'closing') {
        client.state = 'closed';
        counters.unexpectedCloses[code] = (counters.unexpectedCloses[code] ?? 0) + 1;
      }
    });
  });
}

/** Runs `fn` over `items` with at most `concurrency` in flight, starting at most `rate` per second. */
async function paced(items, { rate, concurrency }, fn) {
  const results = new Array(items.length);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const due = started + (i / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

function summarizeOutcomes(outcomes, startedAt) {
  const errors = {};
  let ok = 0;
  let recovered = 0;
  let wasRecovering = 0;
  let last = startedAt;
  for (const o of outcomes) {
    if (o.ok) {
      ok++;
      if (o.recovered) recovered++;
      if (o.wasRecovering) wasRecovering++;
      last = Math.max(last, o.at);
    } else errors[o.error] = (errors[o.error] ?? 0) + 1;
  }
  return { ok, failed: outcomes.length - ok, recovered, wasRecovering, errors, lastMs: Math.round(last - startedAt), doneTimes: outcomes.filter((o) => o.ok).map((o) => o.at - startedAt) };
}

async function closeAll() {
  await Promise.all(
    clients.map(
      (client) =>
        new Promise((resolve) => {
          const ws = client.ws;
          client.state = 'closing';
          if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 3_000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close(1000);
        }),
    ),
  );
  for (const client of clients) {
    client.ws = undefined;
    client.offset = undefined;
    client.epoch = undefined;
  }
}

const commands = {
  async init({ keyId, secret, localAddress, list }) {
    setup = { keyId, secret, localAddress };
    clients = list.map(({ user, channel }) => ({ user, channel, state: 'new' }));
    const tokens = new Map();
    for (const client of clients) {
      if (!tokens.has(client.user)) tokens.set(client.user, await userToken(keyId, secret, client.user));
      client.token = tokens.get(client.user);
    }
    return { clients: clients.length };
  },
  async connect({ url, rate = 500, concurrency = 200, timeoutMs = 30_000 }) {
    const startedAt = now();
    const outcomes = await paced(clients, { rate, concurrency }, (client) => open(client, url, { timeoutMs }));
    const { doneTimes: _d, ...summary } = summarizeOutcomes(outcomes, startedAt);
    return summary;
  },
  async close() {
    await closeAll();
    integrity.gaps = 0;
    integrity.duplicates = 0;
    return {};
  },
  async start({ latency = false }) {
    counters = freshCounters();
    latencyMode = latency;
    measuring = true;
    return {};
  },
  async stop() {
    measuring = false;
    const seconds = (now() - counters.started) / 1000;
    return { ...counters, seconds, open: clients.filter((c) => c.ws?.readyState === WebSocket.OPEN).length };
  },
  /** One delivered publication frame of a chat channel (the raw baseline broadcasts the same). */
  async sample() {
    return new Promise((resolve) => {
      // Every open client listens (one client's channel may get no message in the window).
      const open = clients.filter((c) => c.ws?.readyState === WebSocket.OPEN);
      if (open.length === 0) return resolve(null);
      const finish = (frame) => {
        clearTimeout(timer);
        for (const c of open) c.ws.off('message', onMessage);
        resolve(frame);
      };
      const timer = setTimeout(() => finish(null), 10_000);
      const onMessage = (data) => {
        const text = data.toString();
        if (text.startsWith('{"push":{"channel":"chat:')) finish(text);
      };
      for (const c of open) c.ws.on('message', onMessage);
    });
  },
  /**
   * The storm: every socket dropped at once (no close frame, as when a load balancer or a network
   * path goes), each client reconnecting after a random delay within `spreadMs` and recovering from
   * its position. Resolves when every client has its subscribe reply (or failed).
   */
  async storm({ url, spreadMs, timeoutMs = 30_000, deadlineMs = 300_000 }) {
    for (const client of clients) {
      client.state = 'closing';
      client.ws?.terminate();
    }
    const startedAt = now();
    const deadline = startedAt + deadlineMs;
    const outcomes = await Promise.all(
      clients.map(async (client) => {
        await sleep(Math.random() * spreadMs);
        const began = now();
        // As the centrifuge client does: a failed attempt (transport error, timeout, close code
        // below 3500) is retried after a backoff (500 ms doubling to 20 s, full jitter); a code of
        // 3500 and above (e.g. 3502 stale) ends it: the client would not reconnect by itself.
        for (let attempt = 0; ; attempt++) {
          const outcome = await open(client, url, { recover: true, timeoutMs });
          outcome.attempts = attempt + 1;
          if (outcome.ok) {
            outcome.reconnectMs = outcome.at - began;
            return outcome;
          }
          const code = Number(/^closed (\d+)/.exec(outcome.error)?.[1]);
          if ((code >= 3500 && code < 5000) || now() > deadline) return outcome;
          await sleep(Math.random() * Math.min(20_000, 500 * 2 ** attempt));
        }
      }),
    );
    const summary = summarizeOutcomes(outcomes, startedAt);
    summary.retried = outcomes.filter((o) => o.attempts > 1).length;
    summary.attempts = outcomes.reduce((sum, o) => sum + o.attempts, 0);
    summary.reconnectTimes = outcomes.filter((o) => o.ok).map((o) => o.reconnectMs);
    return summary;
  },
  /** Clients whose position is not their channel's last seq (`lastSeq` by channel name), plus offset errors so far. */
  async verify({ lastSeq }) {
    let behind = 0;
    let ahead = 0;
    let unknown = 0;
    for (const client of clients) {
      const expected = lastSeq[client.channel];
      if (expected === undefined || client.offset === undefined) unknown++;
      else if (client.offset < expected) behind++;
      else if (client.offset > expected) ahead++;
    }
    return { clients: clients.length, behind, ahead, unknown, ...integrity };
  },
  async rss() {
    return { rss: process.memoryUsage().rss };
  },
};

process.on('message', async (message) => {
  const { rid, cmd, ...args } = message;
  let reply;
  try {
    reply = { rid, ok: true, result: await commands[cmd](args) };
  } catch (error) {
    reply = { rid, ok: false, error: error.stack ?? String(error) };
  }
  // The bench may have stopped waiting (and closed the channel) meanwhile.
  if (process.connected) process.send(reply, (error) => error && process.exit(0));
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
