/**
 * User presence end to end with the real `centrifuge` client: online while any connection is,
 * `user.presence.changed` on the personal channels of the users who share a channel (and nobody
 * else), statuses over REST and the `set_status` rpc (invisible looks offline to others),
 * `last_active_at` written on the last close and periodically, the throttle (coalescing), and the
 * `viewing` rpc behind `isViewing`. Across two nodes: test/realtime/ephemeral-scale-out.test.ts.
 */
import type { Centrifuge } from 'centrifuge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, makeApp, putType, type Channel } from '../conversations/helpers.js';
import type { TestApp } from '../support/server.js';
import { client, connected, eventually, sleep, startRealtimeServer, stopAll, type RealtimeServer } from './helpers.js';

const THROTTLE_MS = 400;
const LAST_SEEN_MS = 300;
/** Channels above this many members carry no presence between members (kept small to test it). */
const MAX_MEMBERS = 3;

let s: RealtimeServer;
let app: TestApp;
let tokens: Record<string, string>;
let users = 0;

beforeAll(async () => {
  s = await startRealtimeServer({ PARLEY_PRESENCE_THROTTLE_MS: String(THROTTLE_MS), PARLEY_LAST_SEEN_INTERVAL_MS: String(LAST_SEEN_MS), PARLEY_PRESENCE_MAX_CHANNEL_MEMBERS: String(MAX_MEMBERS) });
  ({ app, tokens } = await makeApp(s.t, ['nobody']));
});
afterEach(() => stopAll());
afterAll(() => s.t.close());

/** Fresh users for one test (their presence state never meets another test's) sharing a channel. */
async function people(...names: string[]): Promise<{ ids: Record<string, string>; room: Channel }> {
  const n = ++users;
  const ids: Record<string, string> = {};
  for (const name of names) ids[name] = `${name}-${n}`;
  await app.upsertUsers(names.map((name) => ({ id: ids[name]!, name: name[0]!.toUpperCase() + name.slice(1) })));
  for (const name of names) tokens[ids[name]!] = await app.token(ids[name]!);
  const [owner, ...members] = names.map((name) => ids[name]!);
  const room = await createChannel(s.t, tokens[owner!]!, { type: 'messaging', id: `room-${n}`, members });
  return { ids, room };
}

async function connect(userId: string): Promise<Centrifuge> {
  const c = client(s.url, { token: tokens[userId] });
  c.connect();
  await connected(c);
  return c;
}

/** A connection of `userId` and the presence events on its personal channel. */
async function listener(userId: string) {
  const c = client(s.url, { token: tokens[userId] });
  const events: Array<Record<string, any> & { at: number }> = [];
  c.on('publication', (ctx) => {
    if (ctx.channel === `user#${userId}` && ctx.data.type === 'user.presence.changed') events.push({ ...ctx.data, at: Date.now() });
  });
  c.connect();
  await connected(c);
  return { c, events, about: (id: string) => events.filter((e) => e.user.id === id) };
}

async function lastActive(userId: string): Promise<Date | null> {
  const result = await s.t.server.services.pool.query('select last_active_at from users where app_id = $1 and id = $2', [app.appId, userId]);
  return result.rows[0].last_active_at;
}

function disconnected(c: Centrifuge): Promise<void> {
  return new Promise((resolve) => {
    c.once('disconnected', () => resolve());
    c.disconnect();
  });
}

describe('online and offline', () => {
  it('reach the users who share a channel, once per transition, across all of a user’s connections', async () => {
    const { ids } = await people('alice', 'bob', 'dave');
    const { ids: others } = await people('erin');
    const bob = await listener(ids.bob!);
    const erin = await listener(others.erin!); // shares no channel with alice
    const first = await connect(ids.alice!);
    await eventually(() => expect(bob.about(ids.alice!)).toHaveLength(1));
    const online = bob.about(ids.alice!)[0]!;
    expect(online).toMatchObject({ type: 'user.presence.changed', user: { id: ids.alice, name: 'Alice', image: null }, status: 'online', online: true, created_at: expect.any(String) });
    expect(Object.keys(online).filter((k) => k !== 'at').sort()).toEqual(['created_at', 'last_seen_at', 'online', 'status', 'type', 'user']);
    // Never seen before, unless the periodic write got there first.
    expect(online.last_seen_at === null || typeof online.last_seen_at === 'string').toBe(true);
    // A second tab: still online, nothing to tell.
    const second = await connect(ids.alice!);
    await disconnected(first);
    await sleep(THROTTLE_MS * 2);
    expect(bob.about(ids.alice!)).toHaveLength(1);
    expect(await s.t.server.services.presence.online(app.appId, ids.alice!)).toBe(true);
    // The last one closes: offline, with the last seen time just written.
    const before = Date.now();
    await disconnected(second);
    await eventually(() => expect(bob.about(ids.alice!)).toHaveLength(2));
    const offline = bob.about(ids.alice!)[1]!;
    expect(offline).toMatchObject({ status: 'offline', online: false, last_seen_at: expect.any(String) });
    expect(Date.parse(offline.last_seen_at)).toBeGreaterThanOrEqual(before - 1_000);
    // (A periodic write racing the close may only move it later.)
    expect((await lastActive(ids.alice!))!.getTime()).toBeGreaterThanOrEqual(Date.parse(offline.last_seen_at));
    expect(await s.t.server.services.presence.online(app.appId, ids.alice!)).toBe(false);
    // Nobody outside alice's channels heard anything of her.
    expect(erin.about(ids.alice!)).toEqual([]);
  });

  it('are not sent through channels of a type with presence off', async () => {
    await putType(s.t, app, 'broadcast', { presence: false });
    const n = ++users;
    const [alice, bob] = [`alice-${n}`, `bob-${n}`];
    await app.upsertUsers([{ id: alice }, { id: bob }]);
    tokens[alice] = await app.token(alice);
    tokens[bob] = await app.token(bob);
    await createChannel(s.t, tokens[alice]!, { type: 'broadcast', id: `b-${n}`, members: [bob] });
    const watcher = await listener(bob);
    await connect(alice);
    await sleep(THROTTLE_MS * 2);
    expect(watcher.about(alice)).toEqual([]);
  });

  it('are not spread through channels bigger than the member limit (n² events), but still through small ones', async () => {
    const { ids, room } = await people('alice', 'bob', 'carol');
    await s.t.request('POST', `${room.path}/members`, { token: tokens[ids.alice!], body: { user_ids: ['nobody'] } });
    const { ids: pair } = await people('frank', 'gina');
    await createChannel(s.t, tokens[pair.frank!]!, { type: 'messaging', id: `pair-${users}`, members: [ids.alice!] });
    const bob = await listener(ids.bob!);
    const frank = await listener(pair.frank!);
    await connect(ids.alice!);
    await eventually(() => expect(frank.about(ids.alice!)).toHaveLength(1));
    await sleep(THROTTLE_MS);
    expect(bob.about(ids.alice!)).toEqual([]);
  });

  it('are throttled per user: one event per period at most, the last state wins', async () => {
    const { ids } = await people('alice', 'bob');
    const bob = await listener(ids.bob!);
    const c1 = await connect(ids.alice!);
    await eventually(() => expect(bob.about(ids.alice!).map((e) => e.online)).toEqual([true]));
    // Offline, online, offline again within one period: one event, the last state.
    const started = Date.now();
    await disconnected(c1);
    const c2 = await connect(ids.alice!);
    await disconnected(c2);
    const took = Date.now() - started;
    await eventually(() => expect(bob.about(ids.alice!).at(-1)!.online).toBe(false));
    await sleep(THROTTLE_MS * 2);
    const events = bob.about(ids.alice!);
    // (Under load the three transitions may outlast a period: then one more event, never more.)
    if (took < THROTTLE_MS / 2) expect(events.map((e) => e.online)).toEqual([true, false]);
    expect(events.length).toBeLessThanOrEqual(3);
    expect(events.at(-1)).toMatchObject({ status: 'offline', online: false });
    for (let i = 1; i < events.length; i++) expect(events[i]!.at - events[i - 1]!.at).toBeGreaterThanOrEqual(THROTTLE_MS - 50);
  });
});

describe('status', () => {
  it('is set over REST and the rpc; invisible looks offline to others, not to oneself', async () => {
    const { ids } = await people('alice', 'bob');
    const bob = await listener(ids.bob!);
    const alice = await listener(ids.alice!);
    await eventually(() => expect(bob.about(ids.alice!).map((e) => e.status)).toEqual(['online']));

    const away = await s.t.request('PATCH', '/v1/me/presence', { token: tokens[ids.alice!], body: { status: 'away' } });
    expect(away.status).toBe(200);
    expect(away.body).toEqual({ presence: { status: 'away', online: true, last_seen_at: expect.any(String) } });
    await eventually(() => expect(bob.about(ids.alice!).map((e) => e.status)).toEqual(['online', 'away']));

    const dnd = await alice.c.rpc('set_status', { status: 'dnd' });
    expect(dnd.data).toEqual({ presence: { status: 'dnd', online: true, last_seen_at: expect.any(String) } });
    await eventually(() => expect(bob.about(ids.alice!).map((e) => e.status)).toEqual(['online', 'away', 'dnd']));

    await alice.c.rpc('set_status', { status: 'invisible' });
    await eventually(() => expect(bob.about(ids.alice!).at(-1)).toMatchObject({ status: 'offline', online: false }));
    // Her own connections know the truth (another tab shows "invisible").
    await eventually(() => expect(alice.about(ids.alice!).at(-1)).toMatchObject({ status: 'invisible', online: true }));
    const frozen = await lastActive(ids.alice!);
    // Invisible: the last seen time stands still (no periodic write, none on close), and her
    // connections coming and going tell others nothing.
    const extra = await connect(ids.alice!);
    await sleep(LAST_SEEN_MS * 3);
    await disconnected(extra);
    await sleep(THROTTLE_MS * 2);
    expect((await lastActive(ids.alice!))!.toISOString()).toBe(frozen!.toISOString());
    expect(bob.about(ids.alice!).map((e) => e.status)).toEqual(['online', 'away', 'dnd', 'offline']);

    // Visible again.
    await s.t.request('PATCH', '/v1/me/presence', { token: tokens[ids.alice!], body: { status: 'online' } });
    await eventually(() => expect(bob.about(ids.alice!).at(-1)).toMatchObject({ status: 'online', online: true }));
    expect((await lastActive(ids.alice!))!.getTime()).toBeGreaterThan(frozen!.getTime());
  });

  it('is kept across connections', async () => {
    const { ids } = await people('alice', 'bob');
    expect((await s.t.request('PATCH', '/v1/me/presence', { token: tokens[ids.alice!], body: { status: 'dnd' } })).body.presence).toMatchObject({ status: 'dnd', online: false });
    const bob = await listener(ids.bob!);
    await connect(ids.alice!);
    await eventually(() => expect(bob.about(ids.alice!).at(-1)).toMatchObject({ status: 'dnd', online: true }));
  });

  it('rejects unknown statuses and fields', async () => {
    const { ids } = await people('alice');
    const bad = await s.t.request('PATCH', '/v1/me/presence', { token: tokens[ids.alice!], body: { status: 'busy' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    const extra = await s.t.request('PATCH', '/v1/me/presence', { token: tokens[ids.alice!], body: { status: 'away', online: true } });
    expect(extra.status).toBe(400);
    const c = await connect(ids.alice!);
    const rpcError = await c.rpc('set_status', { status: 'offline' }).catch((e) => e);
    expect(rpcError.code).toBe(400);
  });
});

describe('last seen', () => {
  it('is written periodically while connected', async () => {
    const { ids } = await people('alice');
    expect(await lastActive(ids.alice!)).toBeNull();
    await connect(ids.alice!);
    await eventually(async () => expect(await lastActive(ids.alice!)).not.toBeNull());
    const first = (await lastActive(ids.alice!))!.getTime();
    await eventually(async () => expect((await lastActive(ids.alice!))!.getTime()).toBeGreaterThan(first));
  });
});

describe('viewing', () => {
  it('each connection says which channel it shows; isViewing answers for any of them', async () => {
    const { ids, room } = await people('alice', 'bob');
    const other = await createChannel(s.t, tokens[ids.alice!]!, { type: 'messaging', id: `other-${users}`, members: [] });
    const { userPresence } = s.t.server.services;
    const isViewing = (cid: string) => userPresence.isViewing(app.appId, ids.alice!, cid);
    const phone = await connect(ids.alice!);
    const laptop = await connect(ids.alice!);
    expect(await isViewing(room.cid)).toBe(false);
    expect((await phone.rpc('viewing', { cid: room.cid })).data).toEqual({ ok: true });
    expect(await isViewing(room.cid)).toBe(true);
    await laptop.rpc('viewing', { cid: other.cid });
    expect(await isViewing(room.cid)).toBe(true);
    expect(await isViewing(other.cid)).toBe(true);
    await phone.rpc('viewing', { cid: null });
    expect(await isViewing(room.cid)).toBe(false);
    // Per user: bob is not viewing what alice views.
    expect(await userPresence.isViewing(app.appId, ids.bob!, other.cid)).toBe(false);
    // Gone with the connection.
    await disconnected(laptop);
    await eventually(async () => expect(await isViewing(other.cid)).toBe(false));
    // Only channels one may read; malformed cids are validation errors.
    const bobC = await connect(ids.bob!);
    const hidden = await bobC.rpc('viewing', { cid: other.cid }).catch((e) => e);
    expect(hidden.code).toBe(404);
    const malformed = await bobC.rpc('viewing', { cid: 'nope' }).catch((e) => e);
    expect(malformed.code).toBe(400);
    expect(await userPresence.isViewing(app.appId, ids.bob!, other.cid)).toBe(false);
  });
});
