/**
 * The centrifuge-js SDK's own integration tests, WebSocket + JSON subset, run against Parley's
 * insecure compatibility gateway (`PARLEY_INSECURE_GATEWAY_PORT`, gateway/insecure.ts).
 *
 * Ported from github.com/centrifugal/centrifuge-js (MIT, © Alexander Emelin), which runs them
 * against a Centrifugo started with `client.insecure: true`, presence and history on channels
 * without namespace, a `recovery` namespace (history 100) and a `smallhistory` namespace
 * (history 2). The npm package ships no tests, so they were read from the repository:
 *   src/centrifuge.test.ts           every WebSocket case
 *   src/recovery.test.ts             the stream cases (not the map-subscription ones)
 *   src/getstate.test.ts             all
 *   src/transport_recovery.test.ts   the WebSocket cases (not map subscriptions, not the
 *                                    http_stream/sse fallbacks)
 * Test names, steps and assertions are theirs; what differs:
 * - jest → vitest; the endpoint is this file's server instead of localhost:8000;
 * - their `apiPublish` (Centrifugo's HTTP server API, POST /api/publish) is a `publish` command
 *   from a second anonymous connection, and their `/api/history` call (getState) a `history`
 *   command from it: the insecure gateway has no server API. Both reply after the publication
 *   is in the channel's stream and delivered, as the HTTP call does;
 * - the HTTP-streaming and SSE variants of `test.each(transportCases)` are not run (Parley serves
 *   WebSocket only).
 * docs/subsystems/realtime.md "Insecure compatibility gateway" lists what was left out and why.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  Centrifuge,
  State,
  SubscriptionState,
  UnauthorizedError,
  connectingCodes,
  disconnectedCodes,
  errorCodes,
  unsubscribedCodes,
  type DisconnectedContext,
  type Error as CentrifugeError,
  type PublicationContext,
  type SubscribedContext,
  type TransportName,
  type UnsubscribedContext,
} from 'centrifuge';
import WebSocket from 'ws';
import { createServer, loadConfig, type ParleyServer } from '@parley/server';
import { runCli, spawnCli } from '../support/cli.js';
import { createTestDatabase } from '../support/database.js';

let server: ParleyServer;
let dropDatabase: () => Promise<void>;
let databaseUrl: string;
let endpoint: string;
/** Publishes and reads history for the ported tests (their HTTP server API calls). */
let api: Centrifuge;

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  databaseUrl = database.url;
  server = await createServer({
    config: loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', PARLEY_INSECURE_GATEWAY_PORT: '0' }),
    databaseUrl: database.url,
    // Their Centrifugo configuration: history 100 by default, 2 in the `smallhistory` namespace.
    insecureGateway: { historySize: 100, namespaces: { smallhistory: { historySize: 2 } } },
  });
  const port = await server.insecureGateway!.listen(0, '127.0.0.1');
  endpoint = `ws://127.0.0.1:${port}/connection/websocket`;
  api = new Centrifuge(endpoint, { websocket: WebSocket });
  api.connect();
  await api.ready(5000);
});

afterAll(async () => {
  api?.disconnect();
  await server?.close();
  await dropDatabase?.();
});

async function apiPublish(channel: string, data: any): Promise<void> {
  await api.publish(channel, data);
}

async function apiHistoryPosition(channel: string): Promise<{ offset: number; epoch: string }> {
  const result = await api.history(channel, { limit: 0 });
  return { offset: result.offset, epoch: result.epoch };
}

function waitForEvent<T>(emitter: any, event: string, timeout = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for '${event}'`)), timeout);
    emitter.on(event, (ctx: T) => {
      clearTimeout(timer);
      resolve(ctx);
    });
  });
}

function collectEvents<T>(emitter: any, event: string, count: number, timeout = 5000): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const collected: T[] = [];
    const timer = setTimeout(() => reject(new Error(`timeout collecting ${count} '${event}' events (got ${collected.length})`)), timeout);
    emitter.on(event, (ctx: T) => {
      collected.push(ctx);
      if (collected.length >= count) {
        clearTimeout(timer);
        resolve(collected);
      }
    });
  });
}

function waitFor(predicate: () => boolean, timeout = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeout) return reject(new Error('timeout waiting for condition'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

// ─── The profile itself (Parley's own checks) ─────────────────────────────

describe('the insecure compatibility profile', () => {
  test('is refused in production, naming the variable', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production', PARLEY_INSECURE_GATEWAY_PORT: '8001' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'ConfigError', variable: 'PARLEY_INSECURE_GATEWAY_PORT' });
    expect(loadConfig({}).insecureGatewayPort).toBeNull();
    expect(loadConfig({ PARLEY_INSECURE_GATEWAY_PORT: '8001' }).insecureGatewayPort).toBe(8001);
  });

  test('`parley start` opens it from PARLEY_INSECURE_GATEWAY_PORT, and refuses it in production (exit 2)', async () => {
    const cli = spawnCli(['start'], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, PARLEY_INSECURE_GATEWAY_PORT: '0' });
    try {
      const [, url] = await cli.waitFor(/INSECURE\s+(ws:\/\/127\.0\.0\.1:\d+\/connection\/websocket)/, 45_000);
      const c = new Centrifuge(url!, { websocket: WebSocket });
      c.connect();
      await c.ready(5000);
      const sub = c.newSubscription('anything');
      const got = waitForEvent<PublicationContext>(sub, 'publication');
      sub.subscribe();
      await sub.ready(5000);
      await sub.publish({ from: 'the cli' });
      expect((await got).data).toEqual({ from: 'the cli' });
      c.disconnect();
    } finally {
      cli.kill();
    }
    const refused = await runCli(['start'], { PORT: '0', NODE_ENV: 'production', DATABASE_URL: databaseUrl, PARLEY_INSECURE_GATEWAY_PORT: '0' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('PARLEY_INSECURE_GATEWAY_PORT');
  }, 60_000);

  test('serves only the WebSocket endpoint, and its channels never reach Parley\'s tables', async () => {
    const http = await fetch(endpoint.replace('ws:', 'http:').replace('/connection/websocket', '/v1/me'));
    expect(http.status).toBe(404);
    const c = new Centrifuge(endpoint, { websocket: WebSocket });
    c.connect();
    await c.ready(5000);
    const sub = c.newSubscription('chat:messaging:general');
    const got = waitForEvent<PublicationContext>(sub, 'publication');
    sub.subscribe();
    await sub.ready(5000);
    await sub.publish({ text: 'anonymous' });
    expect((await got).data).toEqual({ text: 'anonymous' });
    const rows = await server.services.pool.query<{ n: string }>('select (select count(*) from events) + (select count(*) from messages) as n');
    expect(Number(rows.rows[0]!.n)).toBe(0);
    c.disconnect();
  });
});

// ─── src/centrifuge.test.ts ───────────────────────────────────────────────

describe('centrifuge.test.ts (websocket)', () => {
  const transport = 'websocket';
  const newClient = (options: Record<string, unknown> = {}) => new Centrifuge([{ transport: transport as TransportName, endpoint }], { websocket: WebSocket, ...options });

  test('invalid endpoint', () => {
    expect(() => {
      new Centrifuge('');
    }).toThrowError();
  });

  test('no websocket constructor', async () => {
    const c = new Centrifuge(endpoint);
    expect(() => {
      c.connect();
    }).toThrowError();
  });

  test('websocket: connects and disconnects', async () => {
    const c = newClient();
    let disconnectCalled: any;
    const p = new Promise<DisconnectedContext>((resolve) => {
      disconnectCalled = resolve;
    });
    c.on('disconnected', (ctx) => {
      disconnectCalled(ctx);
    });
    c.connect();
    await c.ready(5000);
    expect(c.state).toBe(State.Connected);
    c.disconnect();
    const ctx = await p;
    expect(c.state).toBe(State.Disconnected);
    expect(ctx.code).toBe(disconnectedCodes.disconnectCalled);
  });

  test('websocket: subscribe and unsubscribe', async () => {
    const c = newClient();
    let unsubscribeCalled: any;
    const p = new Promise<UnsubscribedContext>((resolve) => {
      unsubscribeCalled = resolve;
    });
    c.connect();
    await c.ready(5000);
    const sub = c.newSubscription('test');
    sub.on('unsubscribed', (ctx: UnsubscribedContext) => {
      unsubscribeCalled(ctx);
    });
    sub.subscribe();
    await sub.ready(5000);
    expect(sub.state).toBe(SubscriptionState.Subscribed);
    expect(c.state).toBe(State.Connected);
    sub.unsubscribe();
    c.disconnect();
    const ctx = await p;
    expect(sub.state).toBe(SubscriptionState.Unsubscribed);
    expect(c.state).toBe(State.Disconnected);
    expect(ctx.code).toBe(unsubscribedCodes.unsubscribeCalled);
  });

  test('websocket: publish and receive message', async () => {
    const c = newClient();
    c.connect();
    await c.ready(5000);
    let publicationReceived: any;
    const p = new Promise<PublicationContext>((resolve) => {
      publicationReceived = resolve;
    });
    const sub = c.newSubscription('test');
    sub.on('publication', (ctx: PublicationContext) => {
      publicationReceived(ctx);
    });
    sub.subscribe();
    await sub.ready(5000);
    await sub.publish({ my: 'data' });
    const ctx = await p;
    c.disconnect();
    expect(ctx.data).toStrictEqual({ my: 'data' });
  });

  test('websocket: rpc buffered till connected', async () => {
    const c = newClient();
    let errorReceived: any;
    const p = new Promise<CentrifugeError>((resolve) => {
      errorReceived = resolve;
    });
    c.rpc('method', { my: 'data' }).then(
      function () {
        // we are not expecting data in this test, we expect Not Available error.
      },
      function (err: CentrifugeError) {
        errorReceived(err);
      },
    );
    // note: connect called after issuing rpc.
    c.connect();
    const rpcErr = await p;
    c.disconnect();
    expect(rpcErr.code).toStrictEqual(108);
  });

  test('websocket: handles offline/online events', async () => {
    const networkEventTarget = new EventTarget();
    const c = newClient({ networkEventTarget });
    let connectingCalled: any;
    const p = new Promise<DisconnectedContext>((resolve) => {
      connectingCalled = resolve;
    });
    c.on('connecting', (ctx) => {
      if (ctx.code == connectingCodes.transportClosed) connectingCalled(ctx);
    });
    c.connect();
    await c.ready(5000);
    expect(c.state).toBe(State.Connected);
    networkEventTarget.dispatchEvent(new Event('offline', { bubbles: true }));
    const ctx = await p;
    expect(c.state).toBe(State.Connecting);
    expect(ctx.code).toBe(connectingCodes.transportClosed);
    networkEventTarget.dispatchEvent(new Event('online', { bubbles: true }));
    let disconnectCalled: any;
    const disconnectedPromise = new Promise<DisconnectedContext>((resolve) => {
      disconnectCalled = resolve;
    });
    c.on('disconnected', (ctx) => {
      disconnectCalled(ctx);
    });
    await c.ready(5000);
    expect(c.state).toBe(State.Connected);
    c.disconnect();
    await disconnectedPromise;
    expect(c.state).toBe(State.Disconnected);
  });

  test('websocket: not connecting on online in disconnected state', async () => {
    const networkEventTarget = new EventTarget();
    const c = newClient({ networkEventTarget });
    c.connect();
    await c.ready(5000);
    expect(c.state).toBe(State.Connected);
    let disconnectCalled: any;
    const disconnectedPromise = new Promise<DisconnectedContext>((resolve) => {
      disconnectCalled = resolve;
    });
    c.on('disconnected', (ctx) => {
      disconnectCalled(ctx);
    });
    c.disconnect();
    await disconnectedPromise;
    expect(c.state).toBe(State.Disconnected);
    networkEventTarget.dispatchEvent(new Event('online', { bubbles: true }));
    expect(c.state).toBe(State.Disconnected);
  });

  test('websocket: subscribe and presence', async () => {
    const c = newClient();
    c.connect();
    await c.ready(5000);
    const sub = c.newSubscription('test');
    sub.subscribe();
    await sub.ready(5000);
    expect(sub.state).toBe(SubscriptionState.Subscribed);
    expect(c.state).toBe(State.Connected);
    const presence = await sub.presence();
    expect(Object.keys(presence.clients).length).toBeGreaterThan(0);
    const presenceStats = await sub.presenceStats();
    expect(presenceStats.numClients).toBeGreaterThan(0);
    expect(presenceStats.numUsers).toBeGreaterThan(0);
    let disconnectCalled: any;
    const disconnectedPromise = new Promise<DisconnectedContext>((resolve) => {
      disconnectCalled = resolve;
    });
    c.on('disconnected', (ctx) => {
      disconnectCalled(ctx);
    });
    c.disconnect();
    await disconnectedPromise;
    expect(c.state).toBe(State.Disconnected);
  });

  test('websocket: connect disconnect loop', async () => {
    const c = newClient();
    let disconnectCalled: any;
    const disconnectedPromise = new Promise<DisconnectedContext>((resolve) => {
      disconnectCalled = resolve;
    });
    c.on('disconnected', (ctx) => {
      disconnectCalled(ctx);
    });
    for (let index = 0; index < 10; index++) {
      c.connect();
      c.disconnect();
    }
    expect(c.state).toBe(State.Disconnected);
    await disconnectedPromise;
  });

  test('websocket: subscribe and unsubscribe loop', async () => {
    const c = newClient();
    c.connect();
    await c.ready(5000);
    const sub = c.newSubscription('test');
    let unsubcribeCalled: any;
    const unsubscribedPromise = new Promise<UnsubscribedContext>((resolve) => {
      unsubcribeCalled = resolve;
    });
    sub.on('unsubscribed', (ctx) => {
      unsubcribeCalled(ctx);
    });
    for (let index = 0; index < 10; index++) {
      sub.subscribe();
      sub.unsubscribe();
    }
    expect(sub.state).toBe(SubscriptionState.Unsubscribed);
    await unsubscribedPromise;
    sub.subscribe();
    const presenceStats = await sub.presenceStats();
    expect(presenceStats.numClients).toBe(1);
    expect(presenceStats.numUsers).toBe(1);
    const presence = await sub.presence();
    expect(Object.keys(presence.clients).length).toBe(1);
    await sub.unsubscribe();
    const retryWithDelay = async (fn: () => Promise<any>, validate: (result: any) => boolean, maxRetries: number, delay: number) => {
      for (let i = 0; i < maxRetries; i++) {
        const result = await fn();
        if (validate(result)) return result;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      throw new Error('Validation failed after retries');
    };
    const presenceStats2 = await retryWithDelay(
      () => c.presenceStats('test'),
      (stats: any) => stats.numClients === 0 && stats.numUsers === 0,
      3,
      2000,
    );
    const presence2 = await retryWithDelay(
      () => c.presence('test'),
      (presence: any) => Object.keys(presence.clients).length === 0,
      3,
      2000,
    );
    expect(presenceStats2.numClients).toBe(0);
    expect(presenceStats2.numUsers).toBe(0);
    expect(Object.keys(presence2.clients).length).toBe(0);
    let disconnectCalled: any;
    const disconnectedPromise = new Promise<DisconnectedContext>((resolve) => {
      disconnectCalled = resolve;
    });
    c.on('disconnected', (ctx) => {
      disconnectCalled(ctx);
    });
    c.disconnect();
    await disconnectedPromise;
    expect(c.state).toBe(State.Disconnected);
  });

  // Make sure we can unsubscribe right after connect called and connect/subscribe frames not sent yet.
  test('websocket: unsubscribe right after connect', async () => {
    const c = newClient();
    c.connect();
    await c.ready(5000);
    const sub = c.newSubscription('test');
    let unsubcribeCalled: any;
    const unsubscribedPromise = new Promise<UnsubscribedContext>((resolve) => {
      unsubcribeCalled = resolve;
    });
    let subcribeCalled: any;
    const subscribedPromise = new Promise<SubscribedContext>((resolve) => {
      subcribeCalled = resolve;
    });
    sub.on('subscribed', (ctx) => {
      subcribeCalled(ctx);
    });
    sub.on('unsubscribed', (ctx) => {
      unsubcribeCalled(ctx);
    });
    sub.subscribe();
    c.disconnect();
    c.connect();
    sub.unsubscribe();
    expect(sub.state).toBe(SubscriptionState.Unsubscribed);
    await unsubscribedPromise;
    sub.subscribe();
    await subscribedPromise;
    let disconnectCalled: any;
    const disconnectedPromise = new Promise<DisconnectedContext>((resolve) => {
      disconnectCalled = resolve;
    });
    c.on('disconnected', (ctx) => {
      disconnectCalled(ctx);
    });
    c.disconnect();
    await disconnectedPromise;
    expect(c.state).toBe(State.Disconnected);
  });

  // Make sure we can unsubscribe right after connect frame sent but reply has not been yet received
  // (centrifugal/centrifuge-js#274).
  test('websocket: unsubscribe in between connect command and reply', async () => {
    const c = newClient();
    const sub = c.newSubscription('test');
    let unsubcribeCalled: any;
    const unsubscribedPromise = new Promise<UnsubscribedContext>((resolve) => {
      unsubcribeCalled = resolve;
    });
    let subcribeCalled: any;
    const subscribedPromise = new Promise<SubscribedContext>((resolve) => {
      subcribeCalled = resolve;
    });
    // @ts-expect-error a debug event, for tests only.
    c.on('__centrifuge_debug:connect_frame_sent', () => {
      sub.unsubscribe();
      unsubcribeCalled();
    });
    sub.on('subscribed', (ctx) => {
      subcribeCalled(ctx);
    });
    sub.on('unsubscribed', (ctx) => {
      unsubcribeCalled(ctx);
    });
    sub.subscribe();
    c.connect();
    await unsubscribedPromise;
    await c.ready();
    await new Promise((r) => setTimeout(r, 2000));
    sub.subscribe();
    await subscribedPromise;
    let disconnectCalled: any;
    const disconnectedPromise = new Promise<DisconnectedContext>((resolve) => {
      disconnectCalled = resolve;
    });
    c.on('disconnected', (ctx) => {
      disconnectCalled(ctx);
    });
    c.disconnect();
    await disconnectedPromise;
    expect(c.state).toBe(State.Disconnected);
  });

  // Make sure we can resubscribe when offline event triggered before WebSocket transport open.
  test('websocket: reconnect after close before transport open', async () => {
    const networkEventTarget = new EventTarget();
    const c = newClient({ networkEventTarget });
    const offlineEvent = new Event('offline', { bubbles: true });
    // @ts-expect-error a debug event, for tests only.
    c.once('__centrifuge_debug:transport_initialized', () => {
      networkEventTarget.dispatchEvent(offlineEvent);
    });
    c.connect();
    await c.ready();
    let disconnectCalled: any;
    const disconnectedPromise = new Promise<DisconnectedContext>((resolve) => {
      disconnectCalled = resolve;
    });
    c.on('disconnected', (ctx) => {
      disconnectCalled(ctx);
    });
    c.disconnect();
    await disconnectedPromise;
    expect(c.state).toBe(State.Disconnected);
  });

  test('websocket: subscribes and unsubscribes from many subs', async () => {
    const c = newClient();
    const unsubscribedPromises: Promise<UnsubscribedContext>[] = [];
    const channels = ['test1', 'test2', 'test3', 'test4', 'test5'];
    // Their subscription tokens for anonymous users (HMAC "secret"); the insecure gateway does not check them.
    const testTokens: Record<string, string> = {
      test1: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3Mzc1MzIzNDgsImNoYW5uZWwiOiJ0ZXN0MSJ9.eqPQxbBtyYxL8Hvbkm-P6aH7chUsSG_EMWe-rTwF_HI',
      test2: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3Mzc1MzIzODcsImNoYW5uZWwiOiJ0ZXN0MiJ9.tTJB3uSa8XpEmCvfkmrSKclijofnJ5RkQk6L2SaGtUE',
      test3: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3Mzc1MzIzOTgsImNoYW5uZWwiOiJ0ZXN0MyJ9.nyLcMrIot441CszOKska7kQIjo2sEm8pSxV1XWfNCsI',
      test4: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3Mzc1MzI0MDksImNoYW5uZWwiOiJ0ZXN0NCJ9.wWAX2AhJX6Ep4HVexQWSVF3-cWytVhzY9Pm7QsMdCsI',
      test5: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3Mzc1MzI0MTgsImNoYW5uZWwiOiJ0ZXN0NSJ9.hCSfpHYws5TXLKkN0bW0DU6C-wgEUNuhGaIy8W1sT9o',
    };
    c.connect();
    const subscriptions: any[] = [];
    for (const channel of channels) {
      const sub = c.newSubscription(channel, {
        getToken: async function () {
          // Sleep for a random time between 0 and 100 milliseconds to emulate network.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
          return testTokens[channel]!;
        },
      });
      unsubscribedPromises.push(
        new Promise<UnsubscribedContext>((resolve) => {
          sub.on('unsubscribed', (ctx) => resolve(ctx));
        }),
      );
      sub.subscribe();
      subscriptions.push(sub);
    }
    await Promise.all(
      subscriptions.map(async (sub) => {
        await sub.ready(5000);
        expect(sub.state).toBe(SubscriptionState.Subscribed);
      }),
    );
    expect(c.state).toBe(State.Connected);
    subscriptions.forEach((sub) => sub.unsubscribe());
    c.disconnect();
    const unsubscribedContexts = await Promise.all(unsubscribedPromises);
    subscriptions.forEach((sub) => expect(sub.state).toBe(SubscriptionState.Unsubscribed));
    expect(c.state).toBe(State.Disconnected);
    unsubscribedContexts.forEach((ctx) => expect(ctx.code).toBe(unsubscribedCodes.unsubscribeCalled));
  });
});

// ─── src/recovery.test.ts (stream subscriptions) ──────────────────────────

describe('recovery.test.ts (stream subscriptions)', () => {
  const createClient = () => new Centrifuge([{ transport: 'websocket' as TransportName, endpoint }], { websocket: WebSocket });
  async function disconnectClient(c: Centrifuge): Promise<void> {
    c.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let testCounter = 0;
  function uniqueChannel(ns: string): string {
    testCounter++;
    return `${ns}:recovery_test_${Date.now()}_${testCounter}`;
  }

  test('stream: recovery after disconnect delivers missed publications', async () => {
    const c = createClient();
    c.connect();
    await c.ready(5000);
    const ch = uniqueChannel('recovery');
    const sub = c.newSubscription(ch);
    const firstPubP = waitForEvent<PublicationContext>(sub, 'publication');
    sub.subscribe();
    await sub.ready(5000);
    await apiPublish(ch, { seq: 1, msg: 'before disconnect' });
    const first = await firstPubP;
    expect(first.data).toEqual({ seq: 1, msg: 'before disconnect' });
    c.disconnect();
    await apiPublish(ch, { seq: 2, msg: 'missed one' });
    await apiPublish(ch, { seq: 3, msg: 'missed two' });
    await apiPublish(ch, { seq: 4, msg: 'missed three' });
    const resubP = waitForEvent<SubscribedContext>(sub, 'subscribed');
    const recoveredPubs = collectEvents<PublicationContext>(sub, 'publication', 3);
    c.connect();
    await c.ready(5000);
    const resubCtx = await resubP;
    expect(resubCtx.recovered).toBe(true);
    expect(resubCtx.wasRecovering).toBe(true);
    const pubs = await recoveredPubs;
    expect(pubs[0]!.data).toEqual({ seq: 2, msg: 'missed one' });
    expect(pubs[1]!.data).toEqual({ seq: 3, msg: 'missed two' });
    expect(pubs[2]!.data).toEqual({ seq: 4, msg: 'missed three' });
    const livePubP = waitForEvent<PublicationContext>(sub, 'publication');
    await apiPublish(ch, { seq: 5, msg: 'after recovery' });
    const live = await livePubP;
    expect(live.data).toEqual({ seq: 5, msg: 'after recovery' });
    await disconnectClient(c);
  });

  test('stream: recovery after unsubscribe/resubscribe', async () => {
    const c = createClient();
    c.connect();
    await c.ready(5000);
    const ch = uniqueChannel('recovery');
    const sub = c.newSubscription(ch);
    const firstPubP = waitForEvent<PublicationContext>(sub, 'publication');
    sub.subscribe();
    await sub.ready(5000);
    await apiPublish(ch, { seq: 1, msg: 'initial' });
    await firstPubP;
    sub.unsubscribe();
    await apiPublish(ch, { seq: 2, msg: 'while away' });
    await apiPublish(ch, { seq: 3, msg: 'still away' });
    const resubP = waitForEvent<SubscribedContext>(sub, 'subscribed');
    const recoveredPubs = collectEvents<PublicationContext>(sub, 'publication', 2);
    sub.subscribe();
    await sub.ready(5000);
    const resubCtx = await resubP;
    expect(resubCtx.recovered).toBe(true);
    const pubs = await recoveredPubs;
    expect(pubs[0]!.data).toEqual({ seq: 2, msg: 'while away' });
    expect(pubs[1]!.data).toEqual({ seq: 3, msg: 'still away' });
    await disconnectClient(c);
  });

  test('stream: publications not delivered after unsubscribe() from a subscribed handler are recovered later', async () => {
    const c = createClient();
    c.connect();
    await c.ready(5000);
    const ch = uniqueChannel('recovery');
    const sub = c.newSubscription(ch);
    sub.subscribe();
    await sub.ready(5000);
    sub.unsubscribe();
    await apiPublish(ch, { seq: 1 });
    await apiPublish(ch, { seq: 2 });
    await apiPublish(ch, { seq: 3 });
    const received: number[] = [];
    sub.on('publication', (ctx: PublicationContext) => received.push(ctx.data.seq));
    sub.once('subscribed', () => sub.unsubscribe());
    const unsubscribed = waitForEvent(sub, 'unsubscribed');
    sub.subscribe();
    await unsubscribed;
    expect(received).toEqual([]);
    const recovered = collectEvents<PublicationContext>(sub, 'publication', 3);
    sub.subscribe();
    expect((await recovered).map((p) => p.data.seq)).toEqual([1, 2, 3]);
    await disconnectClient(c);
  });

  test('stream: publications not delivered after unsubscribe() from a publication handler are recovered later', async () => {
    const c = createClient();
    c.connect();
    await c.ready(5000);
    const ch = uniqueChannel('recovery');
    const sub = c.newSubscription(ch);
    sub.subscribe();
    await sub.ready(5000);
    sub.unsubscribe();
    await apiPublish(ch, { seq: 1 });
    await apiPublish(ch, { seq: 2 });
    await apiPublish(ch, { seq: 3 });
    const received: number[] = [];
    sub.on('publication', (ctx: PublicationContext) => received.push(ctx.data.seq));
    sub.once('publication', () => sub.unsubscribe());
    const unsubscribed = waitForEvent(sub, 'unsubscribed');
    sub.subscribe();
    await unsubscribed;
    expect(received).toEqual([1]);
    const recovered = collectEvents<PublicationContext>(sub, 'publication', 2);
    sub.subscribe();
    expect((await recovered).map((p) => p.data.seq)).toEqual([2, 3]);
    await disconnectClient(c);
  });

  test('stream: unrecoverable position resubscribes without recovery', async () => {
    const c = createClient();
    c.connect();
    await c.ready(5000);
    const ch = uniqueChannel('smallhistory');
    const sub = c.newSubscription(ch);
    const firstPubP = waitForEvent<PublicationContext>(sub, 'publication');
    sub.subscribe();
    await sub.ready(5000);
    await apiPublish(ch, { seq: 1 });
    await firstPubP;
    sub.unsubscribe();
    await apiPublish(ch, { seq: 2 });
    await apiPublish(ch, { seq: 3 });
    await apiPublish(ch, { seq: 4 });
    await apiPublish(ch, { seq: 5 });
    const resubP = waitForEvent<SubscribedContext>(sub, 'subscribed');
    sub.subscribe();
    await sub.ready(5000);
    const resubCtx = await resubP;
    expect(resubCtx.wasRecovering).toBe(true);
    expect(resubCtx.recovered).toBe(false);
    const livePubP = waitForEvent<PublicationContext>(sub, 'publication');
    await apiPublish(ch, { seq: 6 });
    const live = await livePubP;
    expect(live.data).toEqual({ seq: 6 });
    await disconnectClient(c);
  });
});

// ─── src/getstate.test.ts ─────────────────────────────────────────────────

describe('getstate.test.ts: stream subscription getState', () => {
  const createClient = () => new Centrifuge([{ transport: 'websocket' as TransportName, endpoint }], { websocket: WebSocket });

  test('getState is called on initial subscribe and position is used for recovery', async () => {
    const c = createClient();
    c.connect();
    const channel = 'test_getstate_' + Date.now();
    let getStateCalls = 0;
    await apiPublish(channel, { i: 1 });
    await apiPublish(channel, { i: 2 });
    await apiPublish(channel, { i: 3 });
    const sub = c.newSubscription(channel, {
      getState: async () => {
        getStateCalls++;
        return { offset: 0, epoch: '' };
      },
    });
    const subscribedPromise = waitForEvent<SubscribedContext>(sub, 'subscribed');
    sub.subscribe();
    await subscribedPromise;
    expect(getStateCalls).toBe(1);
    sub.unsubscribe();
    c.disconnect();
  });

  test('getState is NOT called on reconnect when recovery succeeds', async () => {
    const c = createClient();
    c.connect();
    const channel = 'test_getstate_reconnect_' + Date.now();
    let getStateCalls = 0;
    const sub = c.newSubscription(channel, {
      recoverable: true,
      getState: async () => {
        getStateCalls++;
        return { offset: 0, epoch: '' };
      },
    });
    const subscribedPromise1 = waitForEvent<SubscribedContext>(sub, 'subscribed');
    sub.subscribe();
    await subscribedPromise1;
    expect(getStateCalls).toBe(1);
    const subscribedPromise2 = new Promise<SubscribedContext>((resolve) => {
      let count = 0;
      sub.on('subscribed', (ctx) => {
        count++;
        if (count >= 1) resolve(ctx);
      });
    });
    c.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 100));
    c.connect();
    await subscribedPromise2;
    expect(getStateCalls).toBe(1);
    sub.unsubscribe();
    c.disconnect();
  });

  test('without getState, subscribe uses since option (backward compat)', async () => {
    const c = createClient();
    c.connect();
    const channel = 'test_no_getstate_' + Date.now();
    await apiPublish(channel, { i: 1 });
    const sub = c.newSubscription(channel, { since: { offset: 0, epoch: '' } });
    const subscribedPromise = waitForEvent<SubscribedContext>(sub, 'subscribed');
    sub.subscribe();
    const ctx = await subscribedPromise;
    expect(ctx).toBeDefined();
    sub.unsubscribe();
    c.disconnect();
  });

  test('getState error triggers resubscribe with error event (matches map subscription behavior)', async () => {
    const c = createClient();
    c.connect();
    await waitForEvent(c, 'connected');
    const channel = 'test_getstate_error_' + Date.now();
    let getStateCalls = 0;
    const sub = c.newSubscription(channel, {
      minResubscribeDelay: 100,
      maxResubscribeDelay: 100,
      getState: async () => {
        getStateCalls++;
        if (getStateCalls === 1) throw new Error('simulated DB failure');
        return { offset: 0, epoch: '' };
      },
    });
    const errors: any[] = [];
    sub.on('error', (ctx) => {
      errors.push(ctx);
    });
    const subscribedPromise = waitForEvent<SubscribedContext>(sub, 'subscribed');
    sub.subscribe();
    await subscribedPromise;
    expect(getStateCalls).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0].type).toBe('subscribe');
    expect(errors[0].error.code).toBe(errorCodes.subscriptionGetState);
    expect(errors[0].error.message).toContain('simulated DB failure');
    sub.unsubscribe();
    c.disconnect();
  });

  test('getState persistent failure keeps retrying without unsubscribing', async () => {
    const c = createClient();
    c.connect();
    const channel = 'test_getstate_persistent_error_' + Date.now();
    let getStateCalls = 0;
    const sub = c.newSubscription(channel, {
      minResubscribeDelay: 50,
      maxResubscribeDelay: 50,
      getState: async () => {
        getStateCalls++;
        throw new Error('always fails');
      },
    });
    sub.subscribe();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(getStateCalls).toBeGreaterThan(2);
    expect(sub.state).not.toBe('unsubscribed');
    sub.unsubscribe();
    c.disconnect();
  });

  test('getState with real position recovers missed publications', async () => {
    const c = createClient();
    c.connect();
    const channel = 'test_getstate_recover_' + Date.now();
    const tempSub = c.newSubscription(channel, { recoverable: true });
    const tempCtx = await new Promise<SubscribedContext>((resolve) => {
      tempSub.on('subscribed', resolve);
      tempSub.subscribe();
    });
    const epoch = tempCtx.streamPosition?.epoch || '';
    tempSub.unsubscribe();
    c.removeSubscription(tempSub);
    await apiPublish(channel, { i: 1 });
    await apiPublish(channel, { i: 2 });
    const sub = c.newSubscription(channel, { getState: async () => ({ offset: 0, epoch }) });
    const pubsPromise = collectEvents<PublicationContext>(sub, 'publication', 2, 5000);
    sub.subscribe();
    const pubs = await pubsPromise;
    expect(pubs.length).toBe(2);
    expect(pubs[0]!.data).toEqual({ i: 1 });
    expect(pubs[1]!.data).toEqual({ i: 2 });
    sub.unsubscribe();
    c.disconnect();
  });

  test('getState is called when recovery fails (unrecoverable position)', async () => {
    // "smallhistory" namespace with history_size=2: reconnecting from an old position gets error
    // 112 (unrecoverable position), and the SDK calls getState again.
    const c = createClient();
    c.connect();
    await waitForEvent(c, 'connected');
    const channel = 'smallhistory:test_getstate_unrecoverable_' + Date.now();
    let getStateCalls = 0;
    const tempSub = c.newSubscription(channel, { recoverable: true });
    const tempCtx = await new Promise<SubscribedContext>((resolve) => {
      tempSub.on('subscribed', resolve);
      tempSub.subscribe();
    });
    const realEpoch = tempCtx.streamPosition?.epoch || '';
    tempSub.unsubscribe();
    c.removeSubscription(tempSub);
    const sub = c.newSubscription(channel, {
      minResubscribeDelay: 100,
      maxResubscribeDelay: 100,
      getState: async () => {
        getStateCalls++;
        const position = await apiHistoryPosition(channel);
        return { offset: position.offset || 0, epoch: position.epoch || realEpoch };
      },
    });
    const subscribedPromise1 = waitForEvent<SubscribedContext>(sub, 'subscribed');
    sub.subscribe();
    await subscribedPromise1;
    expect(getStateCalls).toBe(1);
    const subscribedPromise2 = new Promise<SubscribedContext>((resolve) => {
      sub.on('subscribed', (ctx) => resolve(ctx));
    });
    c.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < 5; i++) await apiPublish(channel, { i });
    c.connect();
    await subscribedPromise2;
    expect(getStateCalls).toBe(2);
    sub.unsubscribe();
    c.disconnect();
  });
});

// ─── src/transport_recovery.test.ts (websocket) ───────────────────────────

describe('transport_recovery.test.ts (websocket)', () => {
  const clients: Centrifuge[] = [];
  const track = (c: Centrifuge) => {
    clients.push(c);
    return c;
  };
  afterEach(() => {
    while (clients.length) {
      try {
        clients.pop()!.disconnect();
      } catch {
        // teardown must not mask assertions
      }
    }
  });
  /** Throws for the first `failFor` attempts, then hands back a real socket. */
  function flakyWebSocket(state: { attempts: number }, failFor: number) {
    return function (url: string) {
      state.attempts++;
      if (state.attempts <= failFor) throw new Error('blocked attempt ' + state.attempts);
      return new WebSocket(url);
    } as any;
  }
  function alwaysThrowingWebSocket(state: { attempts: number }) {
    return function () {
      state.attempts++;
      throw new Error('blocked');
    } as any;
  }

  describe('subscriptions across a transport failure', () => {
    test('a subscription made before connect still subscribes once the transport works', async () => {
      const st = { attempts: 0 };
      const c = track(new Centrifuge(endpoint, { websocket: flakyWebSocket(st, 3), minReconnectDelay: 20, maxReconnectDelay: 40 }));
      c.on('error', () => {});
      const sub = c.newSubscription('test');
      const subscribed: any[] = [];
      sub.on('subscribed', (ctx) => subscribed.push(ctx));
      sub.on('error', () => {});
      sub.subscribe();
      c.connect();
      await waitFor(() => subscribed.length > 0, 8000);
      expect(c.state).toBe(State.Connected);
      expect(sub.state).toBe(SubscriptionState.Subscribed);
      expect(st.attempts).toBeGreaterThanOrEqual(4);
    }, 15000);

    test('a subscription resubscribes after the socket is dropped mid-session', async () => {
      const c = track(new Centrifuge(endpoint, { websocket: WebSocket, minReconnectDelay: 20, maxReconnectDelay: 40 }));
      c.on('error', () => {});
      const sub = c.newSubscription('test');
      let subscribedCount = 0;
      sub.on('subscribed', () => {
        subscribedCount++;
      });
      sub.on('error', () => {});
      sub.subscribe();
      c.connect();
      await waitFor(() => subscribedCount === 1, 8000);
      // Kill the underlying socket without telling the client.
      (c as any)._transport._transport.close();
      await waitFor(() => subscribedCount === 2, 8000);
      expect(c.state).toBe(State.Connected);
      expect(sub.state).toBe(SubscriptionState.Subscribed);
    }, 15000);

    test('publish, receive and history all work after recovering', async () => {
      const st = { attempts: 0 };
      const c = track(new Centrifuge(endpoint, { websocket: flakyWebSocket(st, 2), minReconnectDelay: 20, maxReconnectDelay: 40 }));
      c.on('error', () => {});
      const sub = c.newSubscription('test');
      const received: any[] = [];
      sub.on('publication', (ctx) => received.push(ctx.data));
      sub.on('error', () => {});
      sub.subscribe();
      c.connect();
      await c.ready(8000);
      await waitFor(() => sub.state === SubscriptionState.Subscribed, 8000);
      await sub.publish({ hello: 'after recovery' });
      await waitFor(() => received.length > 0, 5000);
      expect(received[0]).toEqual({ hello: 'after recovery' });
      const history = await sub.history({ limit: 10 });
      expect(history.publications.length).toBeGreaterThanOrEqual(1);
      const stats = await sub.presenceStats();
      expect(stats.numClients).toBeGreaterThanOrEqual(1);
    }, 20000);
  });

  describe('token callbacks are unaffected by transport error reporting', () => {
    test('UnauthorizedError from getToken still terminates the client', async () => {
      const disconnects: any[] = [];
      const c = track(new Centrifuge(endpoint, { websocket: WebSocket, minReconnectDelay: 20, maxReconnectDelay: 40, getToken: () => Promise.reject(new UnauthorizedError('nope')) }));
      c.on('error', () => {});
      c.on('disconnected', (ctx) => disconnects.push(ctx));
      c.connect();
      await waitFor(() => disconnects.length > 0, 5000);
      expect(c.state).toBe(State.Disconnected);
      expect(disconnects[0].code).toBe(disconnectedCodes.unauthorized);
    }, 15000);

    test('a failing getToken still reports connectToken and keeps retrying', async () => {
      const errors: any[] = [];
      let calls = 0;
      const c = track(
        new Centrifuge(endpoint, {
          websocket: WebSocket,
          minReconnectDelay: 20,
          maxReconnectDelay: 40,
          getToken: () => {
            calls++;
            return Promise.reject(new Error('token backend down'));
          },
        }),
      );
      c.on('error', (ctx) => errors.push(ctx));
      c.connect();
      await waitFor(() => calls >= 3, 5000);
      expect(errors.some((e) => e.type === 'connectToken')).toBe(true);
      expect(c.state).toBe(State.Connecting);
    }, 15000);

    test('disconnect during an in-flight getToken leaves no transport behind', async () => {
      let release: (v: string) => void = () => {};
      const c = track(
        new Centrifuge(endpoint, {
          websocket: WebSocket,
          minReconnectDelay: 20,
          maxReconnectDelay: 40,
          getToken: () =>
            new Promise<string>((res) => {
              release = res;
            }),
        }),
      );
      c.on('error', () => {});
      c.connect();
      expect(c.state).toBe(State.Connecting);
      c.disconnect();
      expect(c.state).toBe(State.Disconnected);
      release('a-token'); // token arrives after disconnect
      await new Promise((r) => setTimeout(r, 300));
      expect(c.state).toBe(State.Disconnected);
      expect((c as any)._transport).toBeNull();
    }, 15000);
  });

  describe('network events', () => {
    test('offline then online reconnects', async () => {
      const net = new EventTarget();
      const c = track(new Centrifuge(endpoint, { websocket: WebSocket, networkEventTarget: net as any, minReconnectDelay: 20, maxReconnectDelay: 40 }));
      c.on('error', () => {});
      c.connect();
      await c.ready(6000);
      expect(c.state).toBe(State.Connected);
      net.dispatchEvent(new Event('offline'));
      expect(c.state).toBe(State.Connecting);
      net.dispatchEvent(new Event('online'));
      await waitFor(() => c.state === State.Connected, 6000);
    }, 20000);

    test('offline arriving during a failing attempt still recovers', async () => {
      const net = new EventTarget();
      const st = { attempts: 0 };
      const c = track(new Centrifuge(endpoint, { websocket: flakyWebSocket(st, 2), networkEventTarget: net as any, minReconnectDelay: 30, maxReconnectDelay: 60 }));
      c.on('error', () => {});
      c.connect();
      await waitFor(() => st.attempts >= 1, 4000);
      net.dispatchEvent(new Event('offline'));
      net.dispatchEvent(new Event('online'));
      await waitFor(() => c.state === State.Connected, 8000);
    }, 20000);
  });

  describe('reacting to errors from a listener', () => {
    test('disconnect() called from an error listener stops cleanly', async () => {
      const st = { attempts: 0 };
      const c = track(new Centrifuge(endpoint, { websocket: alwaysThrowingWebSocket(st), timeout: 100, minReconnectDelay: 20, maxReconnectDelay: 20 }));
      c.on('error', (ctx) => {
        if (ctx.type === 'transport') c.disconnect();
      });
      expect(() => c.connect()).not.toThrow();
      await waitFor(() => c.state === State.Disconnected, 4000);
      const seen = st.attempts;
      await new Promise((r) => setTimeout(r, 200));
      expect(c.state).toBe(State.Disconnected);
      expect(st.attempts).toBe(seen);
      expect((c as any)._transport).toBeNull();
    }, 15000);
  });

  describe('client lifecycle', () => {
    test('rapid connect and disconnect cycles leave a working client', async () => {
      const c = track(new Centrifuge(endpoint, { websocket: WebSocket, minReconnectDelay: 10, maxReconnectDelay: 20 }));
      c.on('error', () => {});
      for (let i = 0; i < 10; i++) {
        c.connect();
        c.disconnect();
      }
      c.connect();
      await c.ready(6000);
      expect(c.state).toBe(State.Connected);
    }, 15000);

    test('connect() called synchronously after disconnect() reconnects', async () => {
      const c = track(new Centrifuge(endpoint, { websocket: WebSocket, minReconnectDelay: 10, maxReconnectDelay: 20 }));
      c.on('error', () => {});
      c.connect();
      await c.ready(6000);
      c.disconnect();
      c.connect();
      await c.ready(6000);
      expect(c.state).toBe(State.Connected);
    }, 15000);

    test('repeated failures leave no timers behind after disconnect', async () => {
      const st = { attempts: 0 };
      const c = new Centrifuge(endpoint, { websocket: alwaysThrowingWebSocket(st), timeout: 50, minReconnectDelay: 10, maxReconnectDelay: 10 });
      c.on('error', () => {});
      c.connect();
      await waitFor(() => st.attempts >= 15, 8000);
      c.disconnect();
      expect((c as any)._connectTimeout).toBeNull();
      expect((c as any)._reconnectTimeout).toBeNull();
      expect((c as any)._transport).toBeNull();
      const seen = st.attempts;
      await new Promise((r) => setTimeout(r, 200));
      expect(st.attempts).toBe(seen);
    }, 20000);
  });
});
