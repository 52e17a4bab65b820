/**
 * Bans over the socket: a hard ban ends the banned user's subscription within a second (and they
 * are told on their personal channel); a shadow-banned user's messages reach only their own
 * connections, live and on recovery.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, type World } from '../authz/actors.js';
import { client, collect, connected, eventually, rawClient, sleep, startRealtimeServer, stopAll, type RealtimeServer } from './helpers.js';

let s: RealtimeServer;
let w: World;

beforeAll(async () => {
  s = await startRealtimeServer();
  w = await buildWorld(s.t);
});
afterEach(() => stopAll());
afterAll(() => s.t.close());

const path = (f: { type: string; id: string }) => `/v1/channels/${f.type}/${f.id}`;

async function watch(token: string, channel: string) {
  const c = client(s.url, { token });
  const personal: Array<Record<string, any>> = [];
  c.on('publication', (ctx) => personal.push(ctx.data));
  c.connect();
  await connected(c);
  const sub = c.newSubscription(channel);
  const seen = collect(sub);
  sub.subscribe();
  await eventually(() => expect(sub.state).toBe('subscribed'));
  return { c, sub, seen, personal };
}

async function send(token: string, fixture: { type: string; id: string }, text: string) {
  const res = await s.t.request('POST', `${path(fixture)}/messages`, { token, body: { text } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message;
}

describe('hard ban', () => {
  it("ends the banned user's subscription within a second, tells them, and refuses a new one", async () => {
    const fixture = await w.freshChannel();
    const name = `chat:${fixture.type}:${fixture.id}`;
    const banned = await watch(w.tokens.member!, name);
    const unsubscribed = new Promise<any>((resolve) => banned.sub.once('unsubscribed', resolve));
    const moderator = await watch(w.tokens.moderator!, name);

    const res = await s.t.request('POST', `${path(fixture)}/bans`, { token: w.tokens.moderator, body: { user_id: 'chan-member', reason: 'abuse' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const started = Date.now();
    expect(await unsubscribed).toMatchObject({ code: 2000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    await eventually(() => expect(banned.personal.map((e) => e.type)).toContain('user.banned'));
    expect(banned.personal.find((e) => e.type === 'user.banned')).toMatchObject({ cid: `${fixture.type}:${fixture.id}`, reason: 'abuse', target_user: { id: 'chan-member' } });

    await send(w.tokens.owner!, fixture, 'after the ban');
    await eventually(() => expect(moderator.seen.map((e) => e.type)).toEqual(['user.banned', 'member.removed', 'message.new']));
    await sleep(100);
    expect(banned.seen.map((e) => e.type)).not.toContain('message.new');

    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: w.tokens.member } }, { id: 2, subscribe: { channel: name } });
    expect((await raw.reply(2)).error?.code).toBe(103);
    raw.ws.close();
  });

  it('ends the watch of a banned viewer who never joined (a livestream anyone may read)', async () => {
    const id = `stage-${Date.now()}`;
    const created = await s.t.request('POST', '/v1/channels', { token: w.app.serverToken, body: { type: 'livestream', id } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const viewer = await watch(w.tokens.user!, `chat:livestream:${id}`);
    const unsubscribed = new Promise<any>((resolve) => viewer.sub.once('unsubscribed', resolve));
    const res = await s.t.request('POST', `/v1/channels/livestream/${id}/bans`, { token: w.app.serverToken, body: { user_id: 'plain' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const started = Date.now();
    expect(await unsubscribed).toMatchObject({ code: 2000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    await s.t.request('POST', `/v1/channels/livestream/${id}/messages`, { token: w.tokens.admin, body: { text: 'after the ban' } });
    await sleep(100);
    expect(viewer.seen.map((e) => e.type)).not.toContain('message.new');
  });
});

describe('shadow ban', () => {
  it("delivers the shadowed user's messages to their own connections only, live and on recovery", async () => {
    const fixture = await w.freshChannel();
    const name = `chat:${fixture.type}:${fixture.id}`;
    const res = await s.t.request('POST', `${path(fixture)}/bans`, { token: w.tokens.moderator, body: { user_id: 'chan-member', shadow: true } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const author = await watch(w.tokens.member!, name);
    const other = await watch(w.tokens.moderator!, name);
    // A second device of the moderator that does not watch the channel: it gets notifications.
    const elsewhere = client(s.url, { token: w.tokens.moderator! });
    const notified: string[] = [];
    elsewhere.on('publication', (ctx) => ctx.data.type === 'notification.message_new' && notified.push(ctx.data.message.text));
    elsewhere.connect();
    await connected(elsewhere);

    const typing = await s.t.request('POST', `${path(fixture)}/typing`, { token: w.tokens.member, body: { state: 'start' } });
    expect(typing.status).toBe(200);
    await send(w.tokens.member!, fixture, 'shadowed 1');
    await s.t.request('POST', `${path(fixture)}/typing`, { token: w.tokens.owner, body: { state: 'start' } });
    await send(w.tokens.owner!, fixture, 'public 1');
    const texts = (seen: Array<Record<string, any>>) => seen.filter((e) => e.type === 'message.new').map((e) => e.message.text);
    await eventually(() => expect(texts(author.seen)).toEqual(['shadowed 1', 'public 1']));
    await eventually(() => expect(texts(other.seen)).toEqual(['public 1']));
    // In the hidden message's place, its position only: offsets stay contiguous for everyone.
    const offsets = other.seen.filter((e) => e.type !== 'typing.start').map((e) => e.__offset);
    expect(offsets).toEqual(offsets.map((_, i) => offsets[0] + i));
    expect(other.seen.find((e) => e.type === 'event.hidden')).toMatchObject({ seq: expect.any(Number), cid: `${fixture.type}:${fixture.id}` });
    // Their typing is not announced either (the owner's is, through the same path).
    await eventually(() => expect(other.seen.filter((e) => e.type === 'typing.start').map((e) => e.user.id)).toContain('chan-owner'));
    expect(other.seen.filter((e) => e.type === 'typing.start').map((e) => e.user.id)).not.toContain('chan-member');
    await eventually(() => expect(notified).toEqual(['public 1']));

    // Offline while more happens: recovery skips the hidden one and loses nothing else.
    other.c.disconnect();
    await send(w.tokens.member!, fixture, 'shadowed 2');
    await send(w.tokens.owner!, fixture, 'public 2');
    const recovered = new Promise<any>((resolve) => other.sub.once('subscribed', resolve));
    other.c.connect();
    expect(await recovered).toMatchObject({ wasRecovering: true, recovered: true });
    await eventually(() => expect(texts(other.seen)).toEqual(['public 1', 'public 2']));
    await eventually(() => expect(texts(author.seen)).toEqual(['shadowed 1', 'public 1', 'shadowed 2', 'public 2']));
  });
});
