import { windowOf, type RateLimiter, type RateLimitResult } from './rate-limiter.js';

/** In-process counters: exact on one node, per node when several run. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, { window: number; count: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    // Windows are short; drop counters of past windows now and then so memory stays flat.
    this.sweeper = setInterval(() => this.sweep(), 10_000);
    this.sweeper.unref();
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const { window, retryAfter } = windowOf(windowSeconds);
    const counterKey = `${windowSeconds}:${key}`;
    let counter = this.counters.get(counterKey);
    if (!counter || counter.window !== window) {
      counter = { window, count: 0 };
      this.counters.set(counterKey, counter);
    }
    counter.count++;
    return { allowed: counter.count <= limit, remaining: Math.max(0, limit - counter.count), retryAfter };
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, counter] of this.counters) {
      const windowSeconds = Number(key.slice(0, key.indexOf(':')));
      if (counter.window < windowOf(windowSeconds, now).window) this.counters.delete(key);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}
