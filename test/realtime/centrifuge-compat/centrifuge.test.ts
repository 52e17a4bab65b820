/** centrifuge-js src/centrifuge.test.ts, every WebSocket case (support.ts: provenance and differences). */
import { describe, expect, test } from 'vitest';
import {
  Centrifuge,
  State,
  SubscriptionState,
  connectingCodes,
  disconnectedCodes,
  unsubscribedCodes,
  type DisconnectedContext,
  type Error as CentrifugeError,
  type PublicationContext,
  type SubscribedContext,
  type TransportName,
  type UnsubscribedContext,
} from 'centrifuge';
import WebSocket from 'ws';
import { endpoint, useCompatServer } from './support.js';

useCompatServer();

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
