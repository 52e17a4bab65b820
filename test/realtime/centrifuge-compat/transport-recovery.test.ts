/**
 * centrifuge-js src/transport_recovery.test.ts, the WebSocket cases (support.ts: provenance and
 * differences).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Centrifuge, State, SubscriptionState, UnauthorizedError, disconnectedCodes } from 'centrifuge';
import WebSocket from 'ws';
import { endpoint, useCompatServer, waitFor } from './support.js';

useCompatServer();

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
