/**
 * Two server nodes on one database, fanning out through a real Redis or NATS broker with presence
 * in Redis: a client on one node sees what is written on the other, in seq order, and presence
 * spans both nodes. The engines' own conformance suites are in packages/server/src/engines/.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, loadConfig, type ParleyServer } from '@parley/server';
import { createChannel, makeApp, sendOk } from '../conversations/helpers.js';
import { ADMIN_TOKEN } from '../support/server.js';
import { client, collect, connected, eventually, startRealtimeServer, stopAll, type RealtimeServer } from './helpers.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.PARLEY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

afterEach(() => stopAll());

for (const [name, brokerUrl] of [
  ['redis', REDIS_URL],
  ['nats', NATS_URL],
] as const) {
  describe(`two nodes with the ${name} broker`, () => {
    const env = { PARLEY_BROKER: brokerUrl, PARLEY_REDIS_URL: REDIS_URL };
    let a: RealtimeServer;
    let b: ParleyServer;
    let bUrl: string;

    beforeAll(async () => {
      a = await startRealtimeServer(env);
      // Node B serves node A's database, as a second server process would.
      const databaseUrl = a.t.server.services.config.databaseUrl!;
      b = await createServer({ config: loadConfig({ ...env, DATABASE_URL: databaseUrl, PARLEY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent' }), databaseUrl, migrate: false });
      await b.app.listen({ port: 0, host: '127.0.0.1' });
      bUrl = `ws://127.0.0.1:${(b.app.server.address() as AddressInfo).port}/connection/websocket`;
    });
    afterAll(async () => {
      await b?.close();
      await a?.t.close();
    });

    it('delivers writes made on either node to subscribers on both, in seq order', async () => {
      const { tokens } = await makeApp(a.t, ['alice', 'bob', 'carol']);
      const room = await createChannel(a.t, tokens.alice!, { type: 'messaging', id: 'two-nodes', members: ['bob', 'carol'] });
      const watchers = [
        { c: client(bUrl, { token: tokens.bob }), seen: [] as Array<Record<string, any>> },
        { c: client(a.url, { token: tokens.carol }), seen: [] as Array<Record<string, any>> },
      ];
      for (const w of watchers) {
        w.c.connect();
        await connected(w.c);
        const sub = w.c.newSubscription(`chat:${room.cid}`);
        w.seen = collect(sub);
        sub.subscribe();
        await eventually(() => expect(sub.state).toBe('subscribed'));
      }
      for (let i = 1; i <= 10; i++) await sendOk(a.t, tokens.alice!, room, { text: `from a ${i}` });
      for (let i = 1; i <= 10; i++) {
        const res = await b.app.inject({ method: 'POST', url: `${room.path}/messages`, headers: { authorization: `Bearer ${tokens.alice}` }, payload: { text: `from b ${i}` } });
        expect(res.statusCode, res.body).toBe(201);
      }
      for (const w of watchers) {
        await eventually(() => expect(w.seen.filter((e) => e.type === 'message.new')).toHaveLength(20));
        const texts = w.seen.filter((e) => e.type === 'message.new').map((e) => e.message.text);
        expect(texts).toEqual([...Array.from({ length: 10 }, (_, i) => `from a ${i + 1}`), ...Array.from({ length: 10 }, (_, i) => `from b ${i + 1}`)]);
        const offsets = w.seen.map((e) => e.__offset);
        expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
      }
    });

    it('aggregates presence and "online" across the nodes', async () => {
      const { app, tokens } = await makeApp(a.t, ['alice', 'bob', 'carol']);
      const room = await createChannel(a.t, tokens.alice!, { type: 'messaging', id: 'presence', members: ['bob', 'carol'] });
      const onB = client(bUrl, { token: tokens.bob });
      const onA = client(a.url, { token: tokens.carol });
      for (const c of [onB, onA]) {
        c.connect();
        await connected(c);
        const sub = c.newSubscription(`chat:${room.cid}`);
        sub.subscribe();
        await eventually(() => expect(sub.state).toBe('subscribed'));
      }
      expect(await b.services.presence.online(app.appId, 'carol')).toBe(true); // connected to node A
      expect(await a.t.server.services.presence.online(app.appId, 'bob')).toBe(true); // connected to node B
      expect(await a.t.server.services.presence.online(app.appId, 'alice')).toBe(false);
      const listed = await onB.presence(`chat:${room.cid}`);
      expect(Object.values(listed.clients).map((x) => x.user).sort()).toEqual(['bob', 'carol']);
      expect(await onB.presenceStats(`chat:${room.cid}`)).toEqual({ numClients: 2, numUsers: 2 });
      onA.disconnect();
      await eventually(async () => expect(await onB.presenceStats(`chat:${room.cid}`)).toEqual({ numClients: 1, numUsers: 1 }));
      await eventually(async () => expect(await b.services.presence.online(app.appId, 'carol')).toBe(false));
    });
  });
}

describe('start-up with unreachable engines', () => {
  async function start(env: Record<string, string>) {
    const t = await startRealtimeServer();
    const databaseUrl = t.t.server.services.config.databaseUrl!;
    try {
      return await createServer({ config: loadConfig({ ...env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' }), databaseUrl, migrate: false }).then(
        async (server) => {
          await server.close();
          return null;
        },
        (error: unknown) => error as Error & { variable?: string },
      );
    } finally {
      await t.t.close();
    }
  }

  it('fails naming PARLEY_BROKER or PARLEY_REDIS_URL, without echoing credentials', async () => {
    const redis = await start({ PARLEY_BROKER: 'redis://user:s3cret@127.0.0.1:1' });
    expect(redis).toMatchObject({ name: 'ConfigError', variable: 'PARLEY_BROKER' });
    expect(redis!.message).toMatch(/^PARLEY_BROKER: cannot connect to redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(redis!.message).not.toContain('s3cret');
    const nats = await start({ PARLEY_BROKER: 'nats://127.0.0.1:1' });
    expect(nats).toMatchObject({ name: 'ConfigError', variable: 'PARLEY_BROKER' });
    expect(nats!.message).toMatch(/^PARLEY_BROKER: cannot connect to nats:\/\/127\.0\.0\.1:1/);
    const presence = await start({ PARLEY_REDIS_URL: 'redis://127.0.0.1:1' });
    expect(presence).toMatchObject({ name: 'ConfigError', variable: 'PARLEY_REDIS_URL' });
  });
});
