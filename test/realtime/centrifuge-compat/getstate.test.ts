/** centrifuge-js src/getstate.test.ts, all (support.ts: provenance and differences). */
import { describe, expect, test } from 'vitest';
import { Centrifuge, errorCodes, type PublicationContext, type SubscribedContext, type TransportName } from 'centrifuge';
import WebSocket from 'ws';
import { apiHistoryPosition, apiPublish, collectEvents, endpoint, useCompatServer, waitForEvent } from './support.js';

useCompatServer();

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
