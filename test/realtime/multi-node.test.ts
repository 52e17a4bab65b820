/**
 * Three real server processes (`parley start` from source, as test/support/cli.ts runs it) on
 * loopback, sharing one PostgreSQL database and a real broker (Redis, then NATS; presence in
 * Redis), with real `centrifuge` clients:
 * - a client on node A receives, in seq order and each once, what a client on node C sent by rpc
 *   and what was sent through node B's REST API, exactly as the events table has it;
 * - presence (presence, presence_stats) seen from a client on one node spans the three nodes, and
 *   "online" (the Presence engine every node reads) counts connections wherever they are;
 * - a node SIGKILLed mid-stream: its clients reconnect to another node (their WebSocket factory
 *   rotates over the three endpoints, as a client-side list of servers would) and recover, with
 *   no gap and no duplicate against the events table.
 * Every child is SIGKILLed at the end (and on exit), and every wait is bounded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Centrifuge, type PublicationContext, type SubscribedContext } from 'centrifuge';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '@parley/server';
import { RedisPresence } from '../../packages/server/src/engines/presence-redis.js';
import { spawnCli, type CliProcess } from '../support/cli.js';
import { createTestDatabase } from '../support/database.js';
import { ADMIN_TOKEN } from '../support/server.js';
import { eventually, sleep } from './helpers.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.PARLEY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const LIMITS = { messages_per_minute_per_user: 100_000, requests_per_second_per_user: 100_000, requests_per_second_per_app: 1_000_000 };
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

interface Node {
  name: string;
  cli: CliProcess;
  /** http://127.0.0.1:<port> */
  http: string;
  ws: string;
}

/** Every child of this file, killed at the end whatever happens. */
const children = new Set<CliProcess>();
process.on('exit', () => {
  for (const child of children) child.kill();
});

async function startNode(name: string, env: Record<string, string>): Promise<Node> {
  const cli = spawnCli(['start'], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', PARLEY_ADMIN_TOKEN: ADMIN_TOKEN, ...env });
  children.add(cli);
  const match = await cli.waitFor(/Parley is listening on (http:\/\/127\.0\.0\.1:\d+)/, 45_000);
  const http = match[1]!;
  return { name, cli, http, ws: `${http.replace('http', 'ws')}/connection/websocket` };
}

async function call(base: string, method: string, route: string, token: string, body?: unknown): Promise<any> {
  const response = await fetch(base + route, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} on ${base}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * A WebSocket class for the centrifuge client that ignores the endpoint it is given and takes the
 * next one of `endpoints` on each (re)connect, starting at `start`: a client-side server list. A
 * dead node refuses the connection and the client's next attempt takes the next node.
 */
function rotatingWebSocket(endpoints: string[], start: number, used: string[]): typeof WebSocket {
  let next = start;
  return class RotatingWebSocket extends WebSocket {
    constructor(_url: string, protocols?: string | string[]) {
      const url = endpoints[next++ % endpoints.length]!;
      used.push(url);
      super(url, protocols);
    }
  } as typeof WebSocket;
}

interface Watcher {
  user: string;
  c: Centrifuge;
  offsets: number[];
  types: string[];
  subscribed: SubscribedContext[];
  /** Endpoints tried, in order. */
  used: string[];
}

const clients: Centrifuge[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

function newClient(token: string, endpoints: string[], start: number, used: string[] = []): Centrifuge {
  const c = new Centrifuge(endpoints[start]!, {
    token,
    websocket: rotatingWebSocket(endpoints, start, used),
    minReconnectDelay: 50,
    maxReconnectDelay: 300,
    timeout: 5_000,
  });
  clients.push(c);
  return c;
}

async function connectedAndSubscribed(c: Centrifuge, channel: string, w?: Watcher): Promise<void> {
  const sub = c.newSubscription(channel);
  if (w) {
    sub.on('publication', (ctx: PublicationContext) => {
      w.offsets.push(ctx.offset!);
      w.types.push(ctx.data.type);
    });
    sub.on('subscribed', (ctx) => w.subscribed.push(ctx));
  }
  sub.subscribe();
  c.connect();
  await c.ready(10_000);
  await sub.ready(10_000);
}

for (const [brokerName, brokerUrl] of [
  ['redis', REDIS_URL],
  ['nats', NATS_URL],
] as const) {
  describe(`three server processes with the ${brokerName} broker`, () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let db: pg.Pool;
    let presence: RedisPresence;
    let dataDir: string;
    let a: Node;
    let b: Node;
    let c: Node;
    let appId: string;
    let tokens: Record<string, string>;
    let serverToken: string;

    beforeAll(async () => {
      database = await createTestDatabase();
      db = new pg.Pool({ connectionString: database.url, max: 2 });
      presence = await RedisPresence.connect(REDIS_URL);
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-multi-node-'));
      const env = { DATABASE_URL: database.url, PARLEY_BROKER: brokerUrl, PARLEY_REDIS_URL: REDIS_URL, PARLEY_DATA_DIR: dataDir };
      a = await startNode('A', env); // runs the migrations
      [b, c] = await Promise.all([startNode('B', env), startNode('C', env)]);
      const created = await call(a.http, 'POST', '/v1/apps', ADMIN_TOKEN, { name: `multi-node-${brokerName}` });
      appId = created.app.id;
      serverToken = (await mintToken({ keyId: created.key_id, secret: created.secret, server: true })).token;
      await call(a.http, 'PATCH', '/v1/app', serverToken, { settings: { limits: LIMITS } });
      await call(a.http, 'POST', '/v1/users', serverToken, { users: USERS.map((id) => ({ id, name: id })) });
      tokens = {};
      for (const id of USERS) tokens[id] = (await mintToken({ keyId: created.key_id, secret: created.secret, userId: id, expiresIn: 3600 })).token;
    }, 120_000);

    afterAll(async () => {
      for (const node of [a, b, c]) {
        if (!node) continue;
        node.cli.kill();
        await node.cli.waitForExit(10_000).catch(() => {});
        children.delete(node.cli);
      }
      await presence?.close();
      await db?.end();
      await database?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    async function room(id: string, members: string[]): Promise<string> {
      await call(a.http, 'POST', '/v1/channels', serverToken, { type: 'messaging', id, members });
      return `messaging:${id}`;
    }

    /** Seqs of the channel's events after `after`, as the log has them. */
    async function logged(cid: string, after: number): Promise<number[]> {
      const [type, id] = cid.split(':');
      const rows = await db.query<{ seq: string }>('select seq from events where app_id = $1 and type = $2 and channel_id = $3 and target_user_id is null and seq > $4 order by seq', [appId, type, id, after]);
      return rows.rows.map((r) => Number(r.seq));
    }

    it('a client on A receives in seq order what a client on C sent by rpc and what was sent through B', async () => {
      const cid = await room('ordered', ['alice', 'bob', 'carol']);
      const watcher: Watcher = { user: 'bob', c: newClient(tokens.bob!, [a.ws], 0), offsets: [], types: [], subscribed: [], used: [] };
      await connectedAndSubscribed(watcher.c, `chat:${cid}`, watcher);
      const start = watcher.subscribed[0]!.streamPosition!.offset;
      const writer = newClient(tokens.carol!, [c.ws], 0);
      writer.connect();
      await writer.ready(10_000);
      const count = 15;
      // Both paths at once, interleaved: the watcher's node gets them from the broker in any order.
      await Promise.all([
        ...Array.from({ length: count }, (_, i) => writer.rpc('send_message', { cid, text: `rpc on C ${i}`, client_msg_id: `rpc-${i}` })),
        ...Array.from({ length: count }, (_, i) => call(b.http, 'POST', `/v1/channels/messaging/ordered/messages`, tokens.alice!, { text: `REST on B ${i}` })),
      ]);
      const expected = await logged(cid, start);
      expect(expected.length).toBeGreaterThanOrEqual(2 * count);
      await eventually(() => expect(watcher.offsets).toEqual(expected), 10_000);
      expect(watcher.types.filter((t) => t === 'message.new')).toHaveLength(2 * count);
      // In seq order, each once: exactly the log.
      expect(watcher.offsets).toEqual(Array.from({ length: expected.length }, (_, i) => start + 1 + i));
    }, 60_000);

    it('a ban made through B ends the watch of a client on A within a second; shadowed messages reach A as positions only', async () => {
      const cid = await room('moderated', ['grace', 'heidi', 'alice']);
      const channel = `chat:${cid}`;
      const banned: Watcher = { user: 'heidi', c: newClient(tokens.heidi!, [a.ws], 0), offsets: [], types: [], subscribed: [], used: [] };
      await connectedAndSubscribed(banned.c, channel, banned);
      const other: Watcher = { user: 'grace', c: newClient(tokens.grace!, [a.ws], 0), offsets: [], types: [], subscribed: [], used: [] };
      await connectedAndSubscribed(other.c, channel, other);
      const ended = new Promise<void>((resolve) => banned.c.getSubscription(channel)!.once('unsubscribed', () => resolve()));
      await call(b.http, 'POST', '/v1/channels/messaging/moderated/bans', serverToken, { user_id: 'heidi' });
      const started = Date.now();
      await ended;
      expect(Date.now() - started).toBeLessThan(1_000);
      // A shadow ban through C: alice's next message is hers alone; grace on A gets its position.
      await call(c.http, 'POST', '/v1/channels/messaging/moderated/bans', serverToken, { user_id: 'alice', shadow: true });
      await call(c.http, 'POST', '/v1/channels/messaging/moderated/messages', tokens.alice!, { text: 'into the shadow' });
      await call(b.http, 'POST', '/v1/channels/messaging/moderated/messages', tokens.grace!, { text: 'in the light' });
      await eventually(() => expect(other.types.slice(-2)).toEqual(['event.hidden', 'message.new']), 10_000);
      const start = other.subscribed[0]!.streamPosition!.offset;
      expect(other.offsets).toEqual(Array.from({ length: other.offsets.length }, (_, i) => start + 1 + i));
      expect(banned.types).not.toContain('message.new');
    }, 60_000);

    it('presence and "online" span the three nodes', async () => {
      const cid = await room('present', ['dave', 'erin', 'frank']);
      const channel = `chat:${cid}`;
      const onA = newClient(tokens.dave!, [a.ws], 0);
      const onB = newClient(tokens.erin!, [b.ws], 0);
      const onC = newClient(tokens.frank!, [c.ws], 0);
      for (const client of [onA, onB, onC]) await connectedAndSubscribed(client, channel);
      // From a client on A: the subscribers of B and C too. (A node records a subscriber's presence
      // right after the subscribe reply, so another node may see it a moment later.)
      await eventually(async () => expect(await onA.presenceStats(channel)).toEqual({ numClients: 3, numUsers: 3 }));
      const listed = await onA.presence(channel);
      expect(Object.values(listed.clients).map((info) => info.user).sort()).toEqual(['dave', 'erin', 'frank']);
      // From C: the same.
      expect(await onC.presenceStats(channel)).toEqual({ numClients: 3, numUsers: 3 });
      for (const user of ['dave', 'erin', 'frank']) await eventually(async () => expect(await presence.online(appId, user)).toBe(true));
      expect(await presence.online(appId, 'grace')).toBe(false);
      onB.disconnect();
      await eventually(async () => expect(await onC.presenceStats(channel)).toEqual({ numClients: 2, numUsers: 2 }));
      await eventually(async () => expect(await presence.online(appId, 'erin')).toBe(false));
    }, 60_000);

    it('a node killed mid-stream: its clients reconnect to another node and recover, no gap, no duplicate', async () => {
      const members = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];
      const cid = await room('killed', members);
      const endpoints = [a.ws, b.ws, c.ws];
      // Two watchers per node; those starting on C (index 2) lose their node.
      const watchers: Watcher[] = [];
      for (let i = 0; i < 6; i++) {
        const user = members[1 + i]!;
        const used: string[] = [];
        const w: Watcher = { user, c: newClient(tokens[user]!, endpoints, i % 3, used), offsets: [], types: [], subscribed: [], used };
        await connectedAndSubscribed(w.c, `chat:${cid}`, w);
        watchers.push(w);
      }
      const starts = watchers.map((w) => w.subscribed[0]!.streamPosition!.offset);
      const onC = watchers.filter((w) => w.used[0] === c.ws);
      expect(onC).toHaveLength(2);
      // A steady stream through A and B (the survivors); C is killed a third of the way in.
      const total = 90;
      const sends: Array<Promise<unknown>> = [];
      for (let i = 0; i < total; i++) {
        const via = i % 2 === 0 ? a : b;
        sends.push(call(via.http, 'POST', '/v1/channels/messaging/killed/messages', tokens.alice!, { text: `m${i}`, client_msg_id: `k-${i}` }));
        if (i === 30) {
          c.cli.kill(); // SIGKILL: no close frames, no shutdown code; the kernel resets the sockets
          await c.cli.waitForExit(10_000);
        }
        await sleep(25);
      }
      await Promise.all(sends);
      for (const [i, w] of watchers.entries()) {
        const expected = await logged(cid, starts[i]!);
        await eventually(() => expect(w.offsets, `${w.user} (${w.used.join(' → ')})`).toEqual(expected), 20_000);
        expect(new Set(w.offsets).size).toBe(w.offsets.length);
        expect(w.types.filter((t) => t === 'message.new')).toHaveLength(total);
      }
      for (const w of onC) {
        // Reconnected elsewhere, and the resubscribe recovered from the position it had.
        expect(w.c.state).toBe('connected');
        expect(w.used.length).toBeGreaterThan(1);
        const last = w.used.at(-1)!;
        expect([a.ws, b.ws]).toContain(last);
        const resubscribed = w.subscribed.slice(1);
        expect(resubscribed.length).toBeGreaterThanOrEqual(1);
        expect(resubscribed.every((ctx) => ctx.wasRecovering && ctx.recovered)).toBe(true);
      }
      // The survivors' clients were not disturbed.
      for (const w of watchers.filter((x) => !onC.includes(x))) expect(w.subscribed).toHaveLength(1);
    }, 90_000);
  });
}
