/**
 * Rate limiter engine: fixed one-window counters per key.
 *
 * Contract: `hit(key, limit, windowSeconds)` counts one request against `key` in the current
 * window and says whether it is within `limit`; counts from every caller sharing the engine
 * (one process for memory, every node for Redis) add up. `retryAfter` is the whole number of
 * seconds (≥ 1) until the window resets.
 */
export interface RateLimiter {
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  close(): Promise<void>;
}

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  retryAfter: number;
}

/** Default limits when an app sets none (documented in README "Rate limits"). */
export const DEFAULT_LIMITS = {
  requests_per_second_per_user: 50,
  requests_per_second_per_app: 5_000,
  messages_per_minute_per_user: 120,
  max_upload_bytes: 100 * 1024 * 1024,
} as const;

export function windowOf(windowSeconds: number, now = Date.now()): { window: number; retryAfter: number } {
  const windowMs = windowSeconds * 1000;
  const window = Math.floor(now / windowMs);
  const retryAfter = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
  return { window, retryAfter };
}
