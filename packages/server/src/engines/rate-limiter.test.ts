/** One conformance suite for every RateLimiter engine; Redis runs against the real server. */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { RateLimiter } from './rate-limiter.js';
import { MemoryRateLimiter } from './rate-limiter-memory.js';
import { RedisRateLimiter } from './rate-limiter-redis.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const engines: Array<[string, () => RateLimiter]> = [
  ['memory', () => new MemoryRateLimiter()],
  ['redis', () => new RedisRateLimiter(REDIS_URL, `parley:test:${randomUUID()}:`)],
];

const open: RateLimiter[] = [];
afterAll(async () => {
  await Promise.all(open.map((e) => e.close()));
});

for (const [name, make] of engines) {
  describe(`RateLimiter (${name})`, () => {
    const engine = make();
    open.push(engine);

    it('allows up to the limit in a window, then refuses with retry_after ≤ the window', async () => {
      const key = randomUUID();
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await engine.hit(key, 3, 60));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
      expect(results[3]!.retryAfter).toBeGreaterThanOrEqual(1);
      expect(results[3]!.retryAfter).toBeLessThanOrEqual(60);
    });

    it('counts keys independently', async () => {
      const a = randomUUID();
      const b = randomUUID();
      await engine.hit(a, 1, 60);
      expect((await engine.hit(a, 1, 60)).allowed).toBe(false);
      expect((await engine.hit(b, 1, 60)).allowed).toBe(true);
    });

    it('counts exactly under concurrency', async () => {
      const key = randomUUID();
      const results = await Promise.all(Array.from({ length: 50 }, () => engine.hit(key, 20, 60)));
      expect(results.filter((r) => r.allowed)).toHaveLength(20);
    });
  });
}

describe('RateLimiter (redis) across nodes', () => {
  it('shares counts between two engines on the same Redis, as two server nodes would', async () => {
    const prefix = `parley:test:${randomUUID()}:`;
    const nodeA = new RedisRateLimiter(REDIS_URL, prefix);
    const nodeB = new RedisRateLimiter(REDIS_URL, prefix);
    open.push(nodeA, nodeB);
    const key = randomUUID();
    expect((await nodeA.hit(key, 3, 60)).allowed).toBe(true);
    expect((await nodeB.hit(key, 3, 60)).allowed).toBe(true);
    expect((await nodeA.hit(key, 3, 60)).allowed).toBe(true);
    expect((await nodeB.hit(key, 3, 60)).allowed).toBe(false);
  });
});
