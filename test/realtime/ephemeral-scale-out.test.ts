/**
 * Typing and user presence across two server nodes on one database, with the Redis broker and
 * presence in Redis: a typing start taken by one node is stopped (or handed over) by the other,
 * its expiry fires once; a user is online while a connection is open on either node; `isViewing`
 * sees the connections of every node.
 */
import type { AddressInfo } from 'node:net';
import type { Centrifuge } from 'centrifuge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, loadConfig, type ParleyServer } from '@parley/server';
import { createChannel, makeApp, type Channel } from '../conversations/helpers.js';
import { ADMIN_TOKEN, type TestApp } from '../support/server.js';
import { client, connected, eventually, sleep, startRealtimeServer, stopAll, type RealtimeServer } from './helpers.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TIMEOUT_MS = 700;
const THROTTLE_MS = 300;

const env = { PARLEY_BROKER: REDIS_URL, PARLEY_REDIS_URL: REDIS_URL, PARLEY_TYPING_TIMEOUT_MS: String(TIMEOUT_MS), PARLEY_PRESENCE_THROTTLE_MS: String(THROTTLE_MS) };
let a: RealtimeServer;
let b: ParleyServer;
let bUrl: string;
let app: TestApp;
let tokens: Record<string, string>;
let rooms = 0;

beforeAll(async () => {
  a = await startRealtimeServer(env);
  const databaseUrl = a.t.server.services.config.databaseUrl!;
  b = await createServer({ config: loadConfig({ ...env, DATABASE_URL: databaseUrl, PARLEY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent' }), databaseUrl, migrate: false });
  await b.app.listen({ port: 0, host: '127.0.0.1' });
  bUrl = `ws://127.0.0.1:${(b.app.server.address() as AddressInfo).port}/connection/websocket`;
  ({ app, tokens } = await makeApp(a.t, ['alice', 'bob', 'carol']));
});
afterEach(() => stopAll());
afterAll(async () => {
  await b?.close();
  await a?.t.close();
});

function nodeUrl(node: 'a' | 'b'): string {
  return node === 'a' ? a.url : bUrl;
}

async function connect(user: string, node: 'a' | 'b'): Promise<Centrifuge> {
  const c = client(nodeUrl(node), { token: tokens[user] });
  c.connect();
  await connected(c);
  return c;
}

/** A REST call on one node. */
async function call(node: 'a' | 'b', method: 'POST' | 'PATCH', url: string, user: string, body: unknown) {
  const server = node === 'a' ? a.t.server : b;
  const res = await server.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[user]}` }, payload: body as object });
  expect(res.statusCode, res.body).toBe(200);
}

/** A watcher on a node: the typing events it receives. */
async function watch(user: string, node: 'a' | 'b', channel: Channel) {
  const c = await connect(user, node);
  const sub = c.newSubscription(`chat:${channel.cid}`);
  const typing: Array<Record<string, any>> = [];
  sub.on('publication', (ctx) => {
    if (String(ctx.data.type).startsWith('typing.')) typing.push(ctx.data);
  });
  sub.subscribe();
  await eventually(() => expect(sub.state).toBe('subscribed'));
  return typing;
}

async function freshRoom(): Promise<Channel> {
  return createChannel(a.t, tokens.alice!, { type: 'messaging', id: `nodes-${++rooms}`, members: ['bob', 'carol'] });
}

function disconnected(c: Centrifuge): Promise<void> {
  return new Promise((resolve) => {
    c.once('disconnected', () => resolve());
    c.disconnect();
  });
}

describe('typing on two nodes', () => {
  it('a stop received by the other node cancels the expiry of the node that took the start', async () => {
    const room = await freshRoom();
    const onA = await watch('alice', 'a', room);
    const onB = await watch('carol', 'b', room);
    await call('a', 'POST', `${room.path}/typing`, 'bob', { state: 'start' });
    await eventually(() => expect(onB.map((e) => e.type)).toEqual(['typing.start']));
    expect(a.t.server.services.typing.isTyping({ appId: app.appId, type: room.type, channelId: room.id, userId: 'bob', parentId: null })).toBe(true);
    await call('b', 'POST', `${room.path}/typing`, 'bob', { state: 'stop' });
    await eventually(() => expect(a.t.server.services.typing.isTyping({ appId: app.appId, type: room.type, channelId: room.id, userId: 'bob', parentId: null })).toBe(false));
    // Past node A's expiry: no second stop.
    await sleep(TIMEOUT_MS + 400);
    for (const seen of [onA, onB]) expect(seen.map((e) => e.type)).toEqual(['typing.start', 'typing.stop']);
  });

  it('the node that took the start publishes its expiry to watchers on every node, once', async () => {
    const room = await freshRoom();
    const onA = await watch('alice', 'a', room);
    const onB = await watch('carol', 'b', room);
    const bob = await connect('bob', 'b');
    await bob.rpc('typing', { cid: room.cid, state: 'start' });
    await eventually(() => expect(onA.map((e) => e.type)).toEqual(['typing.start', 'typing.stop']), 5_000);
    await sleep(TIMEOUT_MS);
    for (const seen of [onA, onB]) expect(seen.map((e) => e.type)).toEqual(['typing.start', 'typing.stop']);
  });

  it('a start taken by the other node hands the expiry over: one stop, after the later start', async () => {
    const room = await freshRoom();
    const onA = await watch('alice', 'a', room);
    await call('a', 'POST', `${room.path}/typing`, 'bob', { state: 'start' });
    await eventually(() => expect(onA.map((e) => e.type)).toEqual(['typing.start']));
    await sleep(TIMEOUT_MS / 2);
    const second = Date.now();
    await call('b', 'POST', `${room.path}/typing`, 'bob', { state: 'start' });
    await eventually(() => expect(onA.map((e) => e.type)).toEqual(['typing.start', 'typing.start']));
    await eventually(() => expect(onA.map((e) => e.type)).toEqual(['typing.start', 'typing.start', 'typing.stop']), 5_000);
    expect(Date.now() - second).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    await sleep(TIMEOUT_MS);
    expect(onA.map((e) => e.type)).toEqual(['typing.start', 'typing.start', 'typing.stop']);
  });
});

describe('presence on two nodes', () => {
  it('a user is online while a connection is open on either node, and others hear each transition once', async () => {
    await freshRoom();
    const watcher = await connect('carol', 'b');
    const events: Array<Record<string, any>> = [];
    watcher.on('publication', (ctx) => {
      if (ctx.data.type === 'user.presence.changed' && ctx.data.user.id === 'bob') events.push(ctx.data);
    });
    const onA = await connect('bob', 'a');
    await eventually(() => expect(events.map((e) => e.online)).toEqual([true]));
    const onB = await connect('bob', 'b');
    expect(await b.services.presence.online(app.appId, 'bob')).toBe(true);
    await disconnected(onA);
    await sleep(THROTTLE_MS * 2);
    // Still connected on node B: nothing changed for others.
    expect(events.map((e) => e.online)).toEqual([true]);
    expect(await a.t.server.services.presence.online(app.appId, 'bob')).toBe(true);
    await disconnected(onB);
    await eventually(() => expect(events.map((e) => e.online)).toEqual([true, false]));
    expect(await a.t.server.services.presence.online(app.appId, 'bob')).toBe(false);
    await sleep(THROTTLE_MS * 2);
    expect(events).toHaveLength(2);
  });

  it('a status set on one node reaches watchers on the other; isViewing sees every node', async () => {
    await freshRoom();
    const watcher = await connect('carol', 'a');
    const events: Array<Record<string, any>> = [];
    watcher.on('publication', (ctx) => {
      if (ctx.data.type === 'user.presence.changed' && ctx.data.user.id === 'alice') events.push(ctx.data);
    });
    const alice = await connect('alice', 'b');
    await eventually(() => expect(events.map((e) => e.status)).toEqual(['online']));
    await call('a', 'PATCH', '/v1/me/presence', 'alice', { status: 'away' });
    await eventually(() => expect(events.map((e) => e.status)).toEqual(['online', 'away']));
    const room = await freshRoom();
    await alice.rpc('viewing', { cid: room.cid });
    expect(await a.t.server.services.userPresence.isViewing(app.appId, 'alice', room.cid)).toBe(true);
    await alice.rpc('viewing', { cid: null });
    expect(await a.t.server.services.userPresence.isViewing(app.appId, 'alice', room.cid)).toBe(false);
    await call('a', 'PATCH', '/v1/me/presence', 'alice', { status: 'online' });
  });
});
