/**
 * The wire protocol by hand: batched commands, command order, protocol violations (3501) that
 * leave other connections alone, rate limits, and the replies of the commands Parley refuses.
 */
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/server.js';
import { createChannel, makeApp, sendOk, type Channel } from '../conversations/helpers.js';
import { client, collect, connected, eventually, rawClient, sleep, startRealtimeServer, stopAll, type RawClient, type RealtimeServer } from './helpers.js';

let s: RealtimeServer;
let app: TestApp;
let tokens: Record<string, string>;
let channel: Channel;

beforeAll(async () => {
  s = await startRealtimeServer();
  ({ app, tokens } = await makeApp(s.t, ['alice', 'bob', 'carol']));
  channel = await createChannel(s.t, tokens.alice!, { type: 'messaging', id: 'wire', members: ['bob', 'carol'] });
});
afterEach(() => stopAll());
afterAll(() => s.t.close());

async function connectedRaw(user = 'bob'): Promise<RawClient> {
  const raw = await rawClient(s.url);
  raw.send({ id: 1, connect: { token: tokens[user] } });
  await raw.reply(1);
  return raw;
}

/** A centrifuge client of carol watching the channel: must be unharmed by others' bad frames. */
async function bystander() {
  const c = client(s.url, { token: tokens.carol });
  c.connect();
  await connected(c);
  const sub = c.newSubscription(`chat:${channel.cid}`);
  const seen = collect(sub);
  sub.subscribe();
  await eventually(() => expect(sub.state).toBe('subscribed'));
  return { c, seen };
}

describe('batches and order', () => {
  it('runs the commands of one frame in order: connect, subscribe, rpc, history', async () => {
    const raw = await rawClient(s.url);
    raw.send(
      { id: 1, connect: { token: tokens.bob } },
      { id: 2, subscribe: { channel: `chat:${channel.cid}` } },
      { id: 3, rpc: { method: 'send_message', data: { cid: channel.cid, text: 'batched' } } },
      { id: 4, history: { channel: `chat:${channel.cid}`, limit: 1, reverse: true } },
    );
    const history = await raw.reply(4);
    const ids = raw.messages.filter((m) => m.id).map((m) => m.id);
    expect(ids).toEqual([1, 2, 3, 4]);
    const sent = (await raw.reply(3)).rpc.data.message;
    expect(history.history.publications[0].data.message.id).toBe(sent.id);
    // The subscription (reply 2) came before its first publication.
    const pubIndex = raw.messages.findIndex((m) => m.push?.pub?.data?.message?.id === sent.id);
    expect(pubIndex).toBeGreaterThan(raw.messages.findIndex((m) => m.id === 2));
    raw.ws.close();
  });

  it('a command before connect closes with 3501', async () => {
    const raw = await rawClient(s.url);
    raw.send({ id: 1, subscribe: { channel: `chat:${channel.cid}` } });
    expect(await raw.closed).toMatchObject({ code: 3501 });
  });

  it('a second connect closes with 3501', async () => {
    const raw = await connectedRaw();
    raw.send({ id: 2, connect: { token: tokens.bob } });
    expect(await raw.closed).toMatchObject({ code: 3501 });
  });

  it('after a connect that failed with 109, the rest of its frame is dropped and a new connect works', async () => {
    const raw = await rawClient(s.url);
    const now = Math.floor(Date.now() / 1000);
    const old = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: app.keyId }).setSubject('bob').setIssuedAt(now - 600).setExpirationTime(now - 300).sign(new TextEncoder().encode(app.secret));
    raw.send({ id: 1, connect: { token: old } }, { id: 2, subscribe: { channel: `chat:${channel.cid}` } });
    expect((await raw.reply(1)).error).toMatchObject({ code: 109 });
    await sleep(100);
    expect(raw.messages.find((m) => m.id === 2)).toBeUndefined();
    raw.send({ id: 3, connect: { token: tokens.bob } }, { id: 4, subscribe: { channel: `chat:${channel.cid}` } });
    expect((await raw.reply(4)).subscribe).toMatchObject({ recoverable: true });
    raw.ws.close();
  });
});

describe('protocol violations close with 3501 and harm no one else', () => {
  const cases: Array<[string, (raw: RawClient) => void]> = [
    ['malformed JSON', (raw) => raw.sendRaw('{"id": 2, "subscribe": ')],
    ['a JSON array', (raw) => raw.sendRaw('[{"id": 2, "ping": {}}]')],
    ['an unknown command', (raw) => raw.send({ id: 2, teleport: { channel: 'x' } })],
    ['two requests in one command', (raw) => raw.send({ id: 2, subscribe: { channel: `chat:${channel.cid}` }, unsubscribe: { channel: `chat:${channel.cid}` } })],
    ['a command without id', (raw) => raw.send({ subscribe: { channel: `chat:${channel.cid}` } })],
    ['a request of the wrong type', (raw) => raw.send({ id: 2, subscribe: { channel: 42 } })],
    ['a frame over 64 KB', (raw) => raw.send({ id: 2, rpc: { method: 'send_message', data: { cid: channel.cid, text: 'x'.repeat(70_000) } } })],
    ['a valid command followed by a malformed one in the same frame', (raw) => raw.sendRaw(`${JSON.stringify({ id: 2, presence: { channel: `chat:${channel.cid}` } })}\nnot json`)],
  ];
  for (const [label, violate] of cases) {
    it(label, async () => {
      const { seen } = await bystander();
      const raw = await connectedRaw();
      violate(raw);
      expect(await raw.closed).toMatchObject({ code: 3501 });
      // Nothing of the bad frame ran.
      expect(raw.messages.find((m) => m.id === 2)).toBeUndefined();
      const message = await sendOk(s.t, tokens.alice!, channel, { text: `after ${label}` });
      await eventually(() => expect(seen.map((e) => e.message?.id)).toContain(message.id));
    });
  }
});

describe('refusals', () => {
  it('answers each refused command with its code and keeps the connection', async () => {
    const raw = await connectedRaw();
    raw.send(
      { id: 2, subscribe: { channel: 'news:today' } },
      { id: 3, subscribe: { channel: 'user#alice' } },
      { id: 4, subscribe: { channel: `chat:${channel.cid}` } },
      { id: 5, subscribe: { channel: `chat:${channel.cid}` } },
      { id: 6, publish: { channel: `chat:${channel.cid}`, data: { text: 'raw' } } },
      { id: 7, sub_refresh: { channel: `chat:${channel.cid}`, token: 'x' } },
      { id: 8, unsubscribe: { channel: 'chat:messaging:never-subscribed' } },
      { id: 9, unsubscribe: { channel: `chat:${channel.cid}` } },
      { id: 10, ping: {} },
      { send: { data: { fire: 'and forget' } } },
    );
    expect((await raw.reply(2)).error).toMatchObject({ code: 102 });
    expect((await raw.reply(3)).error).toMatchObject({ code: 103 });
    expect((await raw.reply(4)).subscribe).toBeDefined();
    expect((await raw.reply(5)).error).toMatchObject({ code: 105 });
    expect((await raw.reply(6)).error).toMatchObject({ code: 103 });
    expect((await raw.reply(7)).error).toMatchObject({ code: 108 });
    expect(await raw.reply(8)).toEqual({ id: 8, unsubscribe: {} });
    expect(await raw.reply(9)).toEqual({ id: 9, unsubscribe: {} });
    expect(await raw.reply(10)).toEqual({ id: 10, ping: {} });
    expect(raw.ws.readyState).toBe(raw.ws.OPEN);
    raw.ws.close();
  });

  it('rate-limits commands per connection with error 111 (temporary)', async () => {
    const raw = await connectedRaw();
    const commands = Array.from({ length: 150 }, (_, i) => ({ id: i + 2, ping: {} }));
    raw.send(...commands);
    await raw.reply(151);
    const limited = raw.messages.filter((m) => m.error?.code === 111);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].error.temporary).toBe(true);
    expect(raw.messages.filter((m) => m.ping).length).toBeGreaterThanOrEqual(90);
    // The bucket refills.
    await sleep(500);
    raw.send({ id: 500, ping: {} });
    expect(await raw.reply(500)).toEqual({ id: 500, ping: {} });
    raw.ws.close();
  });
});

describe('presence', () => {
  it('presence, presence_stats and join/leave pushes for subscribers that asked', async () => {
    const room = await createChannel(s.t, tokens.alice!, { type: 'messaging', id: 'lobby', members: ['bob', 'carol'] });
    const c = client(s.url, { token: tokens.carol });
    c.connect();
    await connected(c);
    const sub = c.newSubscription(`chat:${room.cid}`, { joinLeave: true });
    const joins: string[] = [];
    const leaves: string[] = [];
    sub.on('join', (ctx) => joins.push(ctx.info.user));
    sub.on('leave', (ctx) => leaves.push(ctx.info.user));
    sub.subscribe();
    await eventually(() => expect(sub.state).toBe('subscribed'));

    const raw = await connectedRaw('bob');
    raw.send({ id: 2, subscribe: { channel: `chat:${room.cid}` } });
    await raw.reply(2);
    await eventually(() => expect(joins).toContain('bob'));
    const presence = await c.presence(`chat:${room.cid}`);
    expect(Object.values(presence.clients).map((x) => x.user).sort()).toEqual(['bob', 'carol']);
    expect(await c.presenceStats(`chat:${room.cid}`)).toEqual({ numClients: 2, numUsers: 2 });
    raw.ws.close();
    await eventually(() => expect(leaves).toContain('bob'));
    expect(await c.presenceStats(`chat:${room.cid}`)).toEqual({ numClients: 1, numUsers: 1 });
    // Presence needs read access: a stranger's channel is refused like a subscribe.
    await expect(c.presence('chat:messaging:nobody-here')).rejects.toMatchObject({ code: 103 });
  });

  it('presence is not available where the channel type turns it off', async () => {
    const { app: ownApp, tokens: own } = await makeApp(s.t, ['hank']);
    const put = await s.t.request('PUT', '/v1/channel-types/quiet', { token: ownApp.serverToken, body: { config: { presence: false } } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const room = await createChannel(s.t, own.hank!, { type: 'quiet', id: 'shh' });
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: own.hank } }, { id: 2, presence: { channel: `chat:${room.cid}` } }, { id: 3, subscribe: { channel: `chat:${room.cid}`, join_leave: true } });
    expect((await raw.reply(2)).error).toMatchObject({ code: 108 });
    await raw.reply(3);
    await sleep(100);
    expect(raw.messages.filter((m) => m.push?.join)).toEqual([]);
    raw.ws.close();
  });
});
