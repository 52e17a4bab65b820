/**
 * Typing end to end with the real `centrifuge` client: start/stop over REST and the `typing` rpc,
 * the server's own stop when a start is never stopped (timeout shortened with
 * PARLEY_TYPING_TIMEOUT_MS), the 2 s throttle of starts, `parent_id` validation, and suppression
 * above the type's watcher threshold. Across two nodes: test/realtime/ephemeral-scale-out.test.ts.
 * The state machine itself, with fake timers: packages/server/src/realtime/typing.test.ts.
 */
import type { Centrifuge } from 'centrifuge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, makeApp, putType, sendOk, type Channel } from '../conversations/helpers.js';
import type { TestApp } from '../support/server.js';
import { client, collect, connected, eventually, sleep, startRealtimeServer, stopAll, type RealtimeServer } from './helpers.js';

const TIMEOUT_MS = 600;

let s: RealtimeServer;
let app: TestApp;
let tokens: Record<string, string>;
let room: Channel;
let rooms = 0;

beforeAll(async () => {
  s = await startRealtimeServer({ PARLEY_TYPING_TIMEOUT_MS: String(TIMEOUT_MS) });
  ({ app, tokens } = await makeApp(s.t, ['alice', 'bob', 'carol', 'mallory']));
  room = await createChannel(s.t, tokens.alice!, { type: 'messaging', id: 'typing-room', members: ['bob'] });
});
afterEach(() => stopAll());
afterAll(() => s.t.close());

async function as(user: string): Promise<Centrifuge> {
  const c = client(s.url, { token: tokens[user] });
  c.connect();
  await connected(c);
  return c;
}

/** A watcher of the channel; returns the typing events it receives, stamped with their arrival time. */
async function watch(user: string, channel: Channel) {
  const c = await as(user);
  const sub = c.newSubscription(`chat:${channel.cid}`);
  const seen = collect(sub);
  const typing: Array<Record<string, any> & { at: number }> = [];
  sub.on('publication', (ctx) => {
    if (String(ctx.data.type).startsWith('typing.')) typing.push({ ...ctx.data, at: Date.now() });
  });
  sub.subscribe();
  await eventually(() => expect(sub.state).toBe('subscribed'));
  return { c, seen, typing };
}

/** A channel of its own per test: typing state (throttle windows) of one test never meets another's. */
function freshRoom(): Promise<Channel> {
  return createChannel(s.t, tokens.alice!, { type: 'messaging', id: `typing-${++rooms}`, members: ['bob'] });
}

function rest(user: string, channel: Channel, body: Record<string, unknown>) {
  return s.t.request('POST', `${channel.path}/typing`, { token: tokens[user], body });
}

describe('start and stop', () => {
  it('over REST and the rpc reach the watchers with the user, the cid and the thread', async () => {
    const room = await freshRoom();
    const { typing } = await watch('alice', room);
    const parent = await sendOk(s.t, tokens.alice!, room, { text: 'a thread' });
    expect((await rest('bob', room, { state: 'start' })).body).toEqual({ ok: true });
    expect((await rest('bob', room, { state: 'stop' })).body).toEqual({ ok: true });
    const bob = await as('bob');
    expect((await bob.rpc('typing', { cid: room.cid, state: 'start', parent_id: parent.id })).data).toEqual({ ok: true });
    expect((await bob.rpc('typing', { cid: room.cid, state: 'stop', parent_id: parent.id })).data).toEqual({ ok: true });
    await eventually(() => expect(typing).toHaveLength(4));
    expect(typing.map((e) => `${e.type}:${e.parent_id}`)).toEqual(['typing.start:null', 'typing.stop:null', `typing.start:${parent.id}`, `typing.stop:${parent.id}`]);
    for (const event of typing) {
      expect(event).toMatchObject({ cid: room.cid, user: { id: 'bob', name: 'Bob', image: null }, created_at: expect.any(String) });
      // Ephemeral: no seq, and the node bookkeeping never reaches clients.
      expect(event).not.toHaveProperty('seq');
      expect(event).not.toHaveProperty('origin');
    }
    // Nothing more: every start was stopped, so no expiry fires.
    await sleep(TIMEOUT_MS + 300);
    expect(typing).toHaveLength(4);
  });

  it('a start that is never stopped ends with a typing.stop from the server after the timeout', async () => {
    const room = await freshRoom();
    const { typing } = await watch('alice', room);
    const bob = await as('bob');
    await bob.rpc('typing', { cid: room.cid, state: 'start' });
    await eventually(() => expect(typing.map((e) => e.type)).toEqual(['typing.start']));
    await eventually(() => expect(typing.map((e) => e.type)).toEqual(['typing.start', 'typing.stop']), 5_000);
    const [start, stop] = typing;
    expect(stop).toMatchObject({ user: { id: 'bob' }, cid: room.cid, parent_id: null });
    expect(stop!.at - start!.at).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(s.t.server.services.typing.isTyping({ appId: app.appId, type: room.type, channelId: room.id, userId: 'bob', parentId: null })).toBe(false);
  });

  it('publishes at most one start per 2 s; the dropped starts keep the expiry alive', async () => {
    const room = await freshRoom();
    const { typing } = await watch('alice', room);
    const bob = await as('bob');
    // A start every 150 ms for 1.5 s (inside one 2 s window): one published, and no stop while
    // they keep coming, though the burst is longer than the timeout.
    const first = Date.now();
    let last = 0;
    let sent = 0;
    while (Date.now() - first < 1_500) {
      await bob.rpc('typing', { cid: room.cid, state: 'start' });
      last = Date.now();
      sent++;
      await sleep(150);
    }
    expect(sent).toBeGreaterThan(3);
    expect(typing.map((e) => e.type)).toEqual(['typing.start']);
    await eventually(() => expect(typing.map((e) => e.type)).toEqual(['typing.start', 'typing.stop']), 5_000);
    expect(typing[1]!.at - last).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  });

  it('the same user in another thread, or another user, is typing on their own', async () => {
    const room = await freshRoom();
    const { typing } = await watch('alice', room);
    const parent = await sendOk(s.t, tokens.alice!, room, { text: 'thread 2' });
    await rest('bob', room, { state: 'start' });
    await rest('bob', room, { state: 'start', parent_id: parent.id });
    await rest('alice', room, { state: 'start' });
    await eventually(() => expect(typing.filter((e) => e.type === 'typing.start')).toHaveLength(3));
    await rest('bob', room, { state: 'stop', parent_id: parent.id });
    // The two others end by expiry.
    await eventually(() => expect(typing.filter((e) => e.type === 'typing.stop')).toHaveLength(3), 5_000);
    expect(typing.filter((e) => e.type === 'typing.stop').map((e) => `${e.user.id}:${e.parent_id ?? '-'}`).sort()).toEqual([`alice:-`, `bob:-`, `bob:${parent.id}`].sort());
  });
});

describe('validation and limits', () => {
  it('parent_id must name a message of the channel', async () => {
    const other = await createChannel(s.t, tokens.alice!, { type: 'messaging', id: 'typing-other', members: ['bob'] });
    const elsewhere = await sendOk(s.t, tokens.alice!, other, { text: 'not in the room' });
    const missing = await rest('bob', room, { state: 'start', parent_id: '0190a0a0-0000-7000-8000-00000000abcd' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'parent_id' } });
    const wrongChannel = await rest('bob', room, { state: 'start', parent_id: elsewhere.id });
    expect(wrongChannel.status).toBe(400);
    expect(wrongChannel.body.error.details).toEqual({ field: 'parent_id' });
    const notUuid = await rest('bob', room, { state: 'start', parent_id: 'nope' });
    expect(notUuid.status).toBe(400);
    const bob = await as('bob');
    const rpcError = await bob.rpc('typing', { cid: room.cid, state: 'start', parent_id: elsewhere.id }).catch((e) => e);
    expect(rpcError.code).toBe(400);
    expect(JSON.parse(rpcError.message)).toMatchObject({ error: { code: 'VALIDATION_ERROR', details: { field: 'parent_id' } } });
    // Outsiders see no channel at all.
    expect((await rest('mallory', room, { state: 'start' })).status).toBe(404);
  });

  it('is suppressed above the type’s watcher threshold (counted as the channel’s members)', async () => {
    await putType(s.t, app, 'huddle', { typing_watcher_threshold: 2 });
    const small = await createChannel(s.t, tokens.alice!, { type: 'huddle', id: 'two', members: ['bob'] });
    const big = await createChannel(s.t, tokens.alice!, { type: 'huddle', id: 'three', members: ['bob', 'carol'] });
    const inSmall = await watch('alice', small);
    const inBig = await watch('alice', big);
    expect((await rest('bob', big, { state: 'start' })).body).toEqual({ ok: true });
    expect((await rest('bob', big, { state: 'stop' })).body).toEqual({ ok: true });
    await rest('bob', small, { state: 'start' });
    await rest('bob', small, { state: 'stop' });
    // A message after the typing calls: once it arrives, any typing event would have too.
    await sendOk(s.t, tokens.bob!, big, { text: 'marker' });
    await eventually(() => expect(inBig.seen.map((e) => e.type)).toContain('message.new'));
    await eventually(() => expect(inSmall.typing.map((e) => e.type)).toEqual(['typing.start', 'typing.stop']));
    expect(inBig.typing).toEqual([]);
    expect(s.t.server.services.typing.isTyping({ appId: app.appId, type: big.type, channelId: big.id, userId: 'bob', parentId: null })).toBe(false);
  });

  it('is refused where the type turns typing events off', async () => {
    await putType(s.t, app, 'quiet', { typing_events: false });
    const quiet = await createChannel(s.t, tokens.alice!, { type: 'quiet', id: 'q', members: ['bob'] });
    const res = await rest('bob', quiet, { state: 'start' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('PERMISSION_DENIED');
  });
});
