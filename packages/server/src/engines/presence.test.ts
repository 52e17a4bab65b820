/**
 * One conformance suite for every Presence engine: memory, and Redis on the real server. Two
 * engine instances on one Redis stand for two server nodes; memory has one node only.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Presence } from './presence.js';
import { MemoryPresence } from './presence-memory.js';
import { RedisPresence, type RedisPresenceOptions } from './presence-redis.js';
import { itIf } from '../../../../test/support/it-if.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Cluster {
  node(options?: RedisPresenceOptions): Promise<Presence>;
  shared: boolean;
  prefix?: string;
}

const engines: Array<[string, () => Cluster]> = [
  [
    'memory',
    () => {
      const presence = new MemoryPresence();
      return { node: async () => presence, shared: false };
    },
  ],
  [
    'redis',
    () => {
      const prefix = `parley:test:${randomUUID()}:`;
      return { node: (options) => RedisPresence.connect(REDIS_URL, { prefix, ...options }), shared: true, prefix };
    },
  ],
];

const open: Presence[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const [name, makeCluster] of engines) {
  describe(`Presence (${name})`, () => {
    const cluster = makeCluster();
    async function node(options?: RedisPresenceOptions): Promise<Presence> {
      const presence = await cluster.node(options);
      open.push(presence);
      return presence;
    }

    it('lists and counts the clients of a channel added on two nodes, and forgets removed ones', async () => {
      const [a, b] = [await node(), await node()];
      const channel = `chat:team:${randomUUID()}`;
      await a.add('app1', channel, 'c1', { user: 'alice', conn_info: { device: 'web' }, chan_info: { role: 'owner' } });
      await a.add('app1', channel, 'c2', { user: 'alice' });
      await b.add('app1', channel, 'c3', { user: 'bob' });
      for (const reader of [a, b]) {
        expect(await reader.list('app1', channel)).toEqual({
          c1: { client: 'c1', user: 'alice', conn_info: { device: 'web' }, chan_info: { role: 'owner' } },
          c2: { client: 'c2', user: 'alice' },
          c3: { client: 'c3', user: 'bob' },
        });
        expect(await reader.stats('app1', channel)).toEqual({ num_clients: 3, num_users: 2 });
      }
      await b.remove('app1', channel, 'c1'); // removed from the other node: the store is shared
      await a.remove('app1', channel, 'c3');
      await a.remove('app1', channel, 'c3'); // twice is harmless
      await a.remove('app1', channel, 'never-added');
      expect(Object.keys(await b.list('app1', channel))).toEqual(['c2']);
      expect(await b.stats('app1', channel)).toEqual({ num_clients: 1, num_users: 1 });
      await a.remove('app1', channel, 'c2');
      expect(await b.list('app1', channel)).toEqual({});
      expect(await b.stats('app1', channel)).toEqual({ num_clients: 0, num_users: 0 });
    });

    it('adding a client again replaces its info, and counts it once', async () => {
      const a = await node();
      const channel = `chat:team:${randomUUID()}`;
      await a.add('app1', channel, 'c1', { user: 'alice', chan_info: { v: 1 } });
      await a.add('app1', channel, 'c1', { user: 'alice', chan_info: { v: 2 } });
      expect(await a.list('app1', channel)).toEqual({ c1: { client: 'c1', user: 'alice', chan_info: { v: 2 } } });
      expect(await a.stats('app1', channel)).toEqual({ num_clients: 1, num_users: 1 });
      // A client id now used by another user (not expected from the gateway, but consistent).
      await a.add('app1', channel, 'c1', { user: 'bob' });
      expect(await a.stats('app1', channel)).toEqual({ num_clients: 1, num_users: 1 });
      expect(await a.online('app1', 'alice')).toBe(false);
      expect(await a.online('app1', 'bob')).toBe(true);
      await a.remove('app1', channel, 'c1');
      expect(await a.online('app1', 'bob')).toBe(false);
    });

    it('keeps apps and channels apart', async () => {
      const [a, b] = [await node(), await node()];
      const channel = `chat:team:${randomUUID()}`;
      await a.add('app1', channel, 'c1', { user: 'alice' });
      await b.add('app2', channel, 'c2', { user: 'alice' });
      await b.add('app1', `${channel}:x`, 'c3', { user: 'carol' });
      await b.add('app1', `${channel.slice(0, -1)}`, 'c4', { user: 'dave' });
      expect(Object.keys(await a.list('app1', channel))).toEqual(['c1']);
      expect(Object.keys(await a.list('app2', channel))).toEqual(['c2']);
      expect(await a.stats('app1', `${channel}:x`)).toEqual({ num_clients: 1, num_users: 1 });
      expect(await a.online('app2', 'carol')).toBe(false);
      expect(await a.online('app1', 'carol')).toBe(true);
      await a.remove('app1', channel, 'c1');
      // alice still has a client in app2, not in app1.
      expect(await b.online('app1', 'alice')).toBe(false);
      expect(await b.online('app2', 'alice')).toBe(true);
    });

    it('says a user is online while any client of theirs is in any channel, on any node', async () => {
      const [a, b] = [await node(), await node()];
      const user = `u-${randomUUID()}`;
      const other = `u-${randomUUID()}`;
      expect(await a.online('app1', user)).toBe(false);
      await a.add('app1', `user#${user}`, 'phone', { user });
      await b.add('app1', `user#${user}`, 'laptop', { user });
      await b.add('app1', 'chat:team:general', 'laptop', { user });
      expect(await b.online('app1', user)).toBe(true);
      expect(await a.onlineUsers('app1', [user, other, user])).toEqual(new Set([user]));
      expect(await a.onlineUsers('app1', [])).toEqual(new Set());
      await a.remove('app1', `user#${user}`, 'phone');
      await b.remove('app1', `user#${user}`, 'laptop');
      // The laptop is still in a channel.
      expect(await a.online('app1', user)).toBe(true);
      await b.remove('app1', 'chat:team:general', 'laptop');
      expect(await a.online('app1', user)).toBe(false);
    });

    itIf(cluster.shared, "drops a crashed node's entries after the TTL, while a live node's survive", async () => {
      // Short TTL: 600 ms, heartbeat every 150 ms.
      const live = await node({ ttlMs: 600, refreshMs: 150 });
      const crashing = await cluster.node({ ttlMs: 600, refreshMs: 150 });
      const channel = `chat:team:${randomUUID()}`;
      await live.add('app1', channel, 'c-live', { user: 'alice' });
      await crashing.add('app1', channel, 'c-gone', { user: 'bob' });
      await crashing.add('app1', 'user#bob', 'c-gone', { user: 'bob' });
      expect(await live.stats('app1', channel)).toEqual({ num_clients: 2, num_users: 2 });
      // No remove, no more heartbeats: what a crash leaves behind.
      await crashing.close();
      await sleep(300);
      expect(await live.online('app1', 'bob')).toBe(true); // within the TTL
      await sleep(900); // well past the TTL, and past it for the live node had it not refreshed
      expect(await live.list('app1', channel)).toEqual({ 'c-live': { client: 'c-live', user: 'alice' } });
      expect(await live.stats('app1', channel)).toEqual({ num_clients: 1, num_users: 1 });
      expect(await live.online('app1', 'bob')).toBe(false);
      expect(await live.online('app1', 'alice')).toBe(true);
    });

    itIf(cluster.shared, 'leaves no keys behind once a channel is empty or abandoned', async () => {
      const a = await node({ ttlMs: 400, refreshMs: 100 });
      const crashing = await cluster.node({ ttlMs: 400, refreshMs: 100 });
      await a.add('app1', 'chat:team:tidy', 'c1', { user: 'alice' });
      await a.remove('app1', 'chat:team:tidy', 'c1');
      await crashing.add('app1', 'chat:team:abandoned', 'c2', { user: 'bob' });
      await crashing.close();
      await sleep(700);
      const admin = new Redis(REDIS_URL);
      try {
        expect(await admin.keys(`${cluster.prefix}*tidy*`)).toEqual([]);
        expect(await admin.keys(`${cluster.prefix}*abandoned*`)).toEqual([]);
        expect(await admin.keys(`${cluster.prefix}user:app1/bob`)).toEqual([]);
      } finally {
        admin.disconnect();
      }
    });

    itIf(cluster.shared, 'rewrites its entries after the store lost them (Redis restarted empty)', async () => {
      const a = await node({ ttlMs: 3_000, refreshMs: 100 });
      const channel = `chat:team:${randomUUID()}`;
      await a.add('app1', channel, 'c1', { user: 'alice' });
      const admin = new Redis(REDIS_URL);
      try {
        const keys = await admin.keys(`${cluster.prefix}*`);
        expect(keys.length).toBeGreaterThan(0);
        await admin.del(...keys);
      } finally {
        admin.disconnect();
      }
      expect(await a.stats('app1', channel)).toEqual({ num_clients: 0, num_users: 0 });
      await sleep(400);
      expect(await a.stats('app1', channel)).toEqual({ num_clients: 1, num_users: 1 });
      expect(await a.online('app1', 'alice')).toBe(true);
    });
  });
}

describe('Presence start-up', () => {
  it('fails fast with the reason when Redis is unreachable', async () => {
    await expect(RedisPresence.connect('redis://127.0.0.1:1', { connectTimeoutMs: 3_000 })).rejects.toThrow(/ECONNREFUSED/);
  });
});
