/**
 * Realtime authorization: who may connect and subscribe (the same rule as reads), and how access
 * lost while connected ends subscriptions (member removed) or connections (user deactivated, key
 * deleted) within a second.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTORS, buildWorld, type Actor, type World } from '../authz/actors.js';
import { ADMIN_TOKEN } from '../support/server.js';
import { client, collect, connected, eventually, rawClient, sleep, startRealtimeServer, stopAll, type RealtimeServer } from './helpers.js';

let s: RealtimeServer;
let w: World;

beforeAll(async () => {
  s = await startRealtimeServer();
  w = await buildWorld(s.t);
});
afterEach(() => stopAll());
afterAll(() => s.t.close());

type Outcome = 'subscribed' | 'permission denied (103)' | 'connect refused (3500)';

/** Subscribing to the fixture team channel (owner, moderator, member; no read grant for plain users or guests). */
const EXPECTED: Record<Actor, Outcome> = {
  operator: 'connect refused (3500)',
  server: 'connect refused (3500)',
  anonymous: 'connect refused (3500)',
  deactivated: 'connect refused (3500)',
  admin: 'subscribed',
  owner: 'subscribed',
  moderator: 'subscribed',
  member: 'subscribed',
  user: 'permission denied (103)',
  guest: 'permission denied (103)',
  otherApp: 'permission denied (103)',
};

async function attempt(actor: Actor, channel: string): Promise<Outcome> {
  const raw = await rawClient(s.url);
  const token = w.tokens[actor];
  raw.send({ id: 1, connect: token ? { token } : {} }, { id: 2, subscribe: { channel } });
  const outcome = await Promise.race([
    raw.closed.then((closed) => (closed.code === 3500 ? 'connect refused (3500)' : `closed ${closed.code}`)),
    raw.reply(2).then((reply) => (reply.subscribe ? 'subscribed' : reply.error?.code === 103 ? 'permission denied (103)' : `error ${JSON.stringify(reply.error)}`)),
  ]);
  raw.ws.close();
  return outcome as Outcome;
}

describe('subscribe authorization', () => {
  for (const actor of ACTORS) {
    it(`${actor} → ${EXPECTED[actor]}`, async () => {
      expect(await attempt(actor, `chat:${w.shared.type}:${w.shared.id}`)).toBe(EXPECTED[actor]);
    });
  }

  it('a channel that does not exist is refused like one that may not be read (no existence oracle)', async () => {
    for (const actor of ['admin', 'member', 'user'] as const) expect(await attempt(actor, 'chat:team:does-not-exist')).toBe('permission denied (103)');
  });

  it("the type's read grant lets non-members watch (livestream: any user)", async () => {
    const created = await s.t.request('POST', '/v1/channels', { token: w.app.serverToken, body: { type: 'livestream', id: 'keynote' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(await attempt('user', 'chat:livestream:keynote')).toBe('subscribed');
    expect(await attempt('guest', 'chat:livestream:keynote')).toBe('subscribed');
    expect(await attempt('otherApp', 'chat:livestream:keynote')).toBe('permission denied (103)');
  });
});

describe('access lost while connected', () => {
  it("a removed member's subscription ends within a second, and nothing after the removal reaches them", async () => {
    const fixture = await w.freshChannel();
    const name = `chat:${fixture.type}:${fixture.id}`;
    const c = client(s.url, { token: w.tokens.member! });
    c.connect();
    await connected(c);
    const sub = c.newSubscription(name);
    const seen = collect(sub);
    const unsubscribed = new Promise<any>((resolve) => sub.once('unsubscribed', resolve));
    sub.subscribe();
    await eventually(() => expect(sub.state).toBe('subscribed'));

    const removed = await s.t.request('DELETE', `/v1/channels/${fixture.type}/${fixture.id}/members`, { token: w.tokens.owner, body: { user_ids: ['chan-member'] } });
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    const started = Date.now();
    expect(await unsubscribed).toMatchObject({ code: 2000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    await s.t.request('POST', `/v1/channels/${fixture.type}/${fixture.id}/messages`, { token: w.tokens.owner, body: { text: 'after the removal' } });
    await sleep(200);
    expect(seen.map((e) => e.type)).not.toContain('member.removed');
    expect(seen.map((e) => e.type)).not.toContain('message.new');
    // Subscribing again is refused now.
    expect(await attempt('member', name)).toBe('permission denied (103)');
    // Re-added: allowed again.
    await s.t.request('POST', `/v1/channels/${fixture.type}/${fixture.id}/members`, { token: w.tokens.owner, body: { user_ids: ['chan-member'] } });
    expect(await attempt('member', name)).toBe('subscribed');
  });

  it('others keep their subscription and see the member.removed event', async () => {
    const fixture = await w.freshChannel();
    const c = client(s.url, { token: w.tokens.moderator! });
    c.connect();
    await connected(c);
    const sub = c.newSubscription(`chat:${fixture.type}:${fixture.id}`);
    const seen = collect(sub);
    sub.subscribe();
    await eventually(() => expect(sub.state).toBe('subscribed'));
    await s.t.request('DELETE', `/v1/channels/${fixture.type}/${fixture.id}/members`, { token: w.tokens.owner, body: { user_ids: ['chan-member'] } });
    await eventually(() => expect(seen.map((e) => e.type)).toContain('member.removed'));
    expect(sub.state).toBe('subscribed');
  });

  it('a member leaving keeps access where the type grants reads to everyone', async () => {
    const created = await s.t.request('POST', '/v1/channels', { token: w.app.serverToken, body: { type: 'livestream', id: 'stage', members: ['plain'] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const c = client(s.url, { token: w.tokens.user! });
    c.connect();
    await connected(c);
    const sub = c.newSubscription('chat:livestream:stage');
    const seen = collect(sub);
    sub.subscribe();
    await eventually(() => expect(sub.state).toBe('subscribed'));
    await s.t.request('DELETE', '/v1/channels/livestream/stage/members', { token: w.app.serverToken, body: { user_ids: ['plain'] } });
    await eventually(() => expect(seen.map((e) => e.type)).toContain('member.removed'));
    expect(sub.state).toBe('subscribed');
  });

  it("deleting the channel delivers channel.deleted and ends every subscription", async () => {
    const fixture = await w.freshChannel();
    const c = client(s.url, { token: w.tokens.member! });
    c.connect();
    await connected(c);
    const sub = c.newSubscription(`chat:${fixture.type}:${fixture.id}`);
    const seen = collect(sub);
    const unsubscribed = new Promise<any>((resolve) => sub.once('unsubscribed', resolve));
    sub.subscribe();
    await eventually(() => expect(sub.state).toBe('subscribed'));
    expect((await s.t.request('DELETE', `/v1/channels/${fixture.type}/${fixture.id}`, { token: w.tokens.owner })).status).toBe(200);
    expect(await unsubscribed).toMatchObject({ code: 2000, reason: 'channel deleted' });
    expect(seen.map((e) => e.type)).toEqual(['channel.deleted']);
  });

  /** Subscribes a fresh client of `token` to `channel`; resolves with what it sees and its unsubscribe. */
  async function watching(token: string, channel: string) {
    const c = client(s.url, { token });
    c.connect();
    await connected(c);
    const sub = c.newSubscription(channel);
    const seen = collect(sub);
    const unsubscribed = new Promise<any>((resolve) => sub.once('unsubscribed', resolve));
    sub.subscribe();
    await eventually(() => expect(sub.state).toBe('subscribed'));
    return { sub, seen, unsubscribed };
  }

  it("a channel type's read grant taken away ends the subscriptions it allowed", async () => {
    const put = await s.t.request('PUT', '/v1/channel-types/broadcast', { token: w.app.serverToken, body: { grants: { admin: ['*'], user: ['read_channel'] } } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect((await s.t.request('POST', '/v1/channels', { token: w.app.serverToken, body: { type: 'broadcast', id: 'radio', members: ['chan-member'] } })).status).toBe(201);
    const viewer = await watching(w.tokens.user!, 'chat:broadcast:radio');
    const member = await watching(w.tokens.member!, 'chat:broadcast:radio');
    expect((await s.t.request('PUT', '/v1/channel-types/broadcast', { token: w.app.serverToken, body: { grants: { admin: ['*'] } } })).status).toBe(200);
    const started = Date.now();
    expect(await viewer.unsubscribed).toMatchObject({ code: 2000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    // A member reads by membership: unaffected.
    await sleep(100);
    expect(member.sub.state).toBe('subscribed');
  });

  it("an app role taken away ends the subscriptions it allowed", async () => {
    const id = await w.freshUser();
    await s.t.request('PATCH', `/v1/users/${id}`, { token: w.app.serverToken, body: { role: 'admin' } });
    const fixture = await w.freshChannel();
    const admin = await watching(await w.app.token(id), `chat:${fixture.type}:${fixture.id}`);
    expect((await s.t.request('PATCH', `/v1/users/${id}`, { token: w.app.serverToken, body: { role: 'user' } })).status).toBe(200);
    const started = Date.now();
    expect(await admin.unsubscribed).toMatchObject({ code: 2000 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('deactivating a user disconnects their connections within a second (no reconnect)', async () => {
    const id = await w.freshUser();
    const token = await w.app.token(id);
    const c = client(s.url, { token });
    const disconnected = new Promise<any>((resolve) => c.once('disconnected', resolve));
    c.connect();
    await connected(c);
    const bystander = client(s.url, { token: w.tokens.member! });
    bystander.connect();
    await connected(bystander);
    expect((await s.t.request('POST', `/v1/users/${id}/deactivate`, { token: w.app.serverToken })).status).toBe(200);
    const started = Date.now();
    expect(await disconnected).toMatchObject({ code: 3503, reason: 'user deactivated' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(bystander.state).toBe('connected');
    // And they cannot come back.
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token } });
    expect(await raw.closed).toMatchObject({ code: 3500 });
  });

  it('deleting a user disconnects them too', async () => {
    const id = await w.freshUser();
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: await w.app.token(id) } });
    await raw.reply(1);
    expect((await s.t.request('DELETE', `/v1/users/${id}?mode=soft`, { token: w.app.serverToken })).status).toBe(200);
    expect(await raw.closed).toMatchObject({ code: 3503, reason: 'user deleted' });
  });

  it('deleting a key disconnects the connections whose token it signed, within a second', async () => {
    const created = await s.t.request('POST', `/v1/apps/${w.app.appId}/keys`, { token: ADMIN_TOKEN });
    const { key_id: keyId, secret } = created.body;
    const { mintToken } = await import('@parley/server');
    const signed = (await mintToken({ keyId, secret, userId: 'chan-member', expiresIn: 600 })).token;
    const doomed = await rawClient(s.url);
    doomed.send({ id: 1, connect: { token: signed } });
    await doomed.reply(1);
    const kept = await rawClient(s.url);
    kept.send({ id: 1, connect: { token: w.tokens.member! } });
    await kept.reply(1);
    expect((await s.t.request('DELETE', `/v1/apps/${w.app.appId}/keys/${keyId}`, { token: ADMIN_TOKEN })).status).toBe(200);
    const started = Date.now();
    expect(await doomed.closed).toMatchObject({ code: 3500, reason: 'token revoked' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(kept.ws.readyState).toBe(kept.ws.OPEN);
    kept.ws.close();
  });
});
