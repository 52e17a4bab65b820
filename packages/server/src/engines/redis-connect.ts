import type { Redis } from 'ioredis';

/**
 * Connects a `lazyConnect` ioredis client and waits until it is ready. Rejects with the first
 * connection error (ECONNREFUSED, WRONGPASS...) or after `timeoutMs`; the caller then closes the
 * client so that it stops retrying.
 */
export async function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  let firstError: unknown;
  const onError = (error: unknown) => {
    firstError ??= error;
  };
  redis.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new Error(describeError(firstError ?? error), { cause: error });
  } finally {
    clearTimeout(timer);
    redis.off('error', onError);
  }
}

/** A one-line reason; Node's connection AggregateError (IPv4 and IPv6 refused) has no message. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const reasons = [...new Set(error.errors.map((e: unknown) => describeError(e)))];
    return reasons.join('; ');
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return error.message || code || error.name;
  }
  return String(error);
}
