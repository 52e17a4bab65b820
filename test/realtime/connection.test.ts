/**
 * Connecting with the real `centrifuge` client: user tokens (app-signed), token expiry and
 * refresh through getToken, invalid tokens, the personal channel, server pings, shutdown.
 */
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, makeApp, sendOk } from '../conversations/helpers.js';
import type { TestApp } from '../support/server.js';
import { client, collect, connected, eventually, rawClient, sleep, startRealtimeServer, stopAll, type RealtimeServer } from './helpers.js';

let s: RealtimeServer;
let app: TestApp;
let tokens: Record<string, string>;

beforeAll(async () => {
  s = await startRealtimeServer();
  ({ app, tokens } = await makeApp(s.t, ['alice', 'bob']));
});
afterEach(() => stopAll());
afterAll(() => s.t.close());

/** A token with an explicit `exp` (seconds from now; negative: already expired). */
async function tokenExpiring(user: string, seconds: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: app.keyId }).setSubject(user).setIssuedAt(now - 300).setExpirationTime(now + seconds).sign(new TextEncoder().encode(app.secret));
}

describe('connect', () => {
  it('replies with client id, version, ping, pong and the personal channel as a server-side subscription', async () => {
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: tokens.bob, name: 'test' } });
    const reply = (await raw.reply(1)).connect;
    expect(reply).toMatchObject({ client: expect.any(String), version: expect.stringContaining('parley'), ping: 25, pong: true, subs: { 'user#bob': {} } });
    expect(reply.expires).toBe(true);
    expect(reply.ttl).toBeGreaterThan(3500);
    raw.ws.close();
  });

  it('the personal channel carries notification events', async () => {
    const c = client(s.url, { token: tokens.bob });
    const personal: any[] = [];
    c.on('publication', (ctx) => personal.push({ on: ctx.channel, type: ctx.data.type }));
    c.connect();
    await connected(c);
    const channel = await createChannel(s.t, tokens.alice!, { type: 'messaging', id: 'personal', members: ['bob'] });
    await sendOk(s.t, tokens.alice!, channel, { text: 'ping bob' });
    await eventually(() => expect(personal.map((p) => p.type)).toEqual(['notification.added_to_channel', 'notification.message_new']));
    expect(personal.every((p) => p.on === 'user#bob')).toBe(true);
  });

  it('a watched channel sends its message.new only once: no notification.message_new beside it', async () => {
    const channel = await createChannel(s.t, tokens.alice!, { type: 'messaging', id: 'watched-once', members: ['bob'] });
    const watching = client(s.url, { token: tokens.bob });
    const idle = client(s.url, { token: tokens.bob });
    const frames = { watching: [] as string[], idle: [] as string[] };
    watching.on('publication', (ctx) => frames.watching.push(ctx.data.type));
    idle.on('publication', (ctx) => frames.idle.push(ctx.data.type));
    watching.connect();
    idle.connect();
    await Promise.all([connected(watching), connected(idle)]);
    const sub = watching.newSubscription(`chat:${channel.cid}`);
    const onChannel = collect(sub);
    sub.subscribe();
    await eventually(() => expect(sub.state).toBe('subscribed'));
    await sendOk(s.t, tokens.alice!, channel, { text: 'once' });
    await eventually(() => expect(frames.idle).toEqual(['notification.message_new']));
    await eventually(() => expect(onChannel.map((e) => e.type)).toEqual(['message.new']));
    expect(frames.watching).toEqual([]);
  });

  it('an expired token gets error 109: the client fetches a new one with getToken and connects', async () => {
    let calls = 0;
    const c = client(s.url, {
      token: await tokenExpiring('bob', -300),
      getToken: async () => {
        calls++;
        return tokens.bob!;
      },
    });
    const errors: any[] = [];
    c.on('error', (ctx) => errors.push(ctx));
    c.connect();
    await connected(c);
    expect(calls).toBe(1);
    expect(errors.map((e) => e.error?.code)).toContain(109);
  });

  it('a token expired within the REST clock skew is still expired for a connection: 109, refreshed at once', async () => {
    const stale = await tokenExpiring('bob', -10);
    expect((await s.t.request('GET', '/v1/me', { token: stale })).status).toBe(200); // REST: 60 s of skew
    let calls = 0;
    const c = client(s.url, {
      token: stale,
      getToken: async () => {
        calls++;
        return tokens.bob!;
      },
    });
    const errors: any[] = [];
    c.on('error', (ctx) => errors.push(ctx));
    c.connect();
    await connected(c);
    expect(calls).toBe(1);
    expect(errors.map((e) => e.error?.code)).toContain(109);
  });

  it('a token about to expire is refreshed through getToken without reconnecting', async () => {
    // Without the refresh, the server would close the connection 300 ms after the token's exp.
    const gateway = s.t.server.gateway;
    gateway.options.expiredCloseDelayMs = 300;
    let calls = 0;
    const c = client(s.url, {
      token: await tokenExpiring('bob', 2),
      getToken: async () => {
        calls++;
        return tokenExpiring('bob', 3600);
      },
    });
    const states: string[] = [];
    c.on('state', (ctx) => states.push(ctx.newState));
    c.connect();
    await connected(c);
    await eventually(() => expect(calls).toBe(1), 6_000);
    await sleep(1_500);
    expect(c.state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected']);
    // Still served after the old token's exp.
    const channel = await createChannel(s.t, tokens.alice!, { type: 'messaging', id: 'refreshed', members: ['bob'] });
    const sub = c.newSubscription(`chat:${channel.cid}`);
    const seen = collect(sub);
    sub.subscribe();
    await eventually(() => expect(sub.state).toBe('subscribed'));
    await sendOk(s.t, tokens.alice!, channel, { text: 'after refresh' });
    await eventually(() => expect(seen.map((e) => e.message?.text)).toContain('after refresh'));
    gateway.options.expiredCloseDelayMs = 25_000;
  });

  it('a connection whose token expires without a refresh is closed with 3005 (reconnect)', async () => {
    const gateway = s.t.server.gateway;
    gateway.options.expiredCloseDelayMs = 200;
    try {
      const raw = await rawClient(s.url);
      raw.send({ id: 1, connect: { token: await tokenExpiring('bob', 1) } });
      expect((await raw.reply(1)).connect).toMatchObject({ expires: true, ttl: 1 });
      expect(await raw.closed).toMatchObject({ code: 3005, reason: 'connection expired' });
    } finally {
      gateway.options.expiredCloseDelayMs = 25_000;
    }
  });

  it('refresh with a token of another user is refused with 3500', async () => {
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: tokens.bob } });
    await raw.reply(1);
    raw.send({ id: 2, refresh: { token: tokens.alice } });
    expect(await raw.closed).toMatchObject({ code: 3500 });
  });

  it('an invalid, missing or non-user token closes with 3500 and the client does not reconnect', async () => {
    const forged = tokens.bob!.slice(0, -4) + 'AAAA';
    const c = client(s.url, { token: forged });
    const disconnected = new Promise<any>((resolve) => c.once('disconnected', resolve));
    c.connect();
    expect(await disconnected).toMatchObject({ code: 3500 });
    await sleep(200);
    expect(c.state).toBe('disconnected');
    for (const token of [undefined, app.serverToken, 'test-operator-token-0123456789']) {
      const raw = await rawClient(s.url);
      raw.send({ id: 1, connect: token ? { token } : {} });
      expect(await raw.closed).toMatchObject({ code: 3500 });
    }
  });

  it('a JWKS-style app is found by the api key in connect data (an unknown key is refused)', async () => {
    // An HS256 token works with or without data; an RS256 token with an unknown api key is refused.
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: tokens.bob, data: { api_key: app.keyId } } });
    expect((await raw.reply(1)).connect.client).toBeTruthy();
    raw.ws.close();
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'x' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'bob' })).toString('base64url');
    const other = await rawClient(s.url);
    other.send({ id: 1, connect: { token: `${header}.${body}.c2ln`, data: { api_key: 'nope_unknown' } } });
    expect(await other.closed).toMatchObject({ code: 3500 });
  });
});

describe('pings', () => {
  let fast: RealtimeServer;
  beforeAll(async () => {
    fast = await startRealtimeServer({ PARLEY_WS_PING_INTERVAL: '1' });
  });
  afterAll(() => fast.t.close());

  it('the server pings every interval; the centrifuge client pongs and stays connected', async () => {
    const { tokens: fastTokens } = await makeApp(fast.t, ['erin']);
    const c = client(fast.url, { token: fastTokens.erin });
    const states: string[] = [];
    c.on('state', (ctx) => states.push(ctx.newState));
    c.connect();
    await connected(c);
    await sleep(3_500);
    expect(c.state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected']);
  });

  it('a client that does not pong is disconnected with 3012', async () => {
    const { tokens: fastTokens } = await makeApp(fast.t, ['frank']);
    const raw = await rawClient(fast.url);
    raw.send({ id: 1, connect: { token: fastTokens.frank } });
    expect((await raw.reply(1)).connect.ping).toBe(1);
    const started = Date.now();
    expect(await raw.closed).toMatchObject({ code: 3012, reason: 'no pong' });
    expect(raw.messages.filter((m) => Object.keys(m).length === 0).length).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('a socket that never connects is closed as stale', async () => {
    // Default connect timeout (10 s) is long for a test: the stale close is checked with a raw
    // socket that sends nothing, against a gateway with a short timeout.
    const gateway = fast.t.server.gateway;
    const previous = gateway.options.connectTimeoutMs;
    gateway.options.connectTimeoutMs = 300;
    try {
      const raw = await rawClient(fast.url);
      expect(await raw.closed).toMatchObject({ code: 3502 });
    } finally {
      gateway.options.connectTimeoutMs = previous;
    }
  });
});

describe('shutdown', () => {
  it('close() closes every socket with 3001 (reconnect) and refuses new ones', async () => {
    const other = await startRealtimeServer();
    const { tokens: otherTokens } = await makeApp(other.t, ['gina']);
    const raw = await rawClient(other.url);
    raw.send({ id: 1, connect: { token: otherTokens.gina } });
    await raw.reply(1);
    const c = client(other.url, { token: otherTokens.gina, minReconnectDelay: 5_000, maxReconnectDelay: 5_000 });
    const connecting: any[] = [];
    c.on('connecting', (ctx) => connecting.push(ctx));
    c.connect();
    await connected(c);
    await other.t.close();
    expect(await raw.closed).toMatchObject({ code: 3001, reason: 'shutdown' });
    await eventually(() => expect(connecting.map((x) => x.code)).toContain(3001));
    expect(c.state).toBe('connecting');
  });
});
