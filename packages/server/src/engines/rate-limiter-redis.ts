import { Redis } from 'ioredis';
import { windowOf, type RateLimiter, type RateLimitResult } from './rate-limiter.js';

/** Counters in Redis, shared by every node: INCR + EXPIRE on a key per window. */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;

  constructor(url: string, private readonly prefix = 'parley:rl:') {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
    // Connection errors surface through failed commands; an unhandled 'error' event would crash.
    this.redis.on('error', () => {});
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const { window, retryAfter } = windowOf(windowSeconds);
    const redisKey = `${this.prefix}${windowSeconds}:${window}:${key}`;
    const result = await this.redis.multi().incr(redisKey).expire(redisKey, windowSeconds + 1).exec();
    const count = Number(result?.[0]?.[1] ?? 0);
    return { allowed: count <= limit, remaining: Math.max(0, limit - count), retryAfter };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
