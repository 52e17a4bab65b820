/** centrifuge-js src/recovery.test.ts, the stream cases (support.ts: provenance and differences). */
import { describe, expect, test } from 'vitest';
import { Centrifuge, type PublicationContext, type SubscribedContext, type TransportName } from 'centrifuge';
import WebSocket from 'ws';
import { apiPublish, collectEvents, endpoint, useCompatServer, waitForEvent } from './support.js';

useCompatServer();

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
