import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { makeApp, createChannel, sendOk } from '../conversations/helpers.js';
import { client, collect, connected, eventually, startRealtimeServer, stopAll, type RealtimeServer } from './helpers.js';

let s: RealtimeServer;
beforeAll(async () => {
  s = await startRealtimeServer();
});
afterEach(() => stopAll());
afterAll(() => s.t.close());

it('receives a message sent via REST', async () => {
  const { tokens } = await makeApp(s.t, ['alice', 'bob']);
  const channel = await createChannel(s.t, tokens.alice!, { type: 'messaging', id: 'smoke', members: ['bob'] });
  const c = client(s.url, { token: tokens.bob });
  c.connect();
  await connected(c);
  const sub = c.newSubscription(`chat:${channel.cid}`);
  const seen = collect(sub);
  const subscribed = new Promise((resolve) => sub.once('subscribed', resolve));
  sub.subscribe();
  console.log(await subscribed);
  const message = await sendOk(s.t, tokens.alice!, channel, { text: 'hello' });
  await eventually(() => expect(seen.map((e) => e.message?.id)).toContain(message.id));
  console.log(seen);
});
