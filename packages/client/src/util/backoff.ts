/** Exponential backoff with full jitter, and an abortable sleep. */

/**
 * Delay before attempt `attempt` (0-based): `min * 2^attempt`, capped at `max`, jittered to
 * 50–100 % so that many clients coming back at once do not retry in lockstep.
 *
 * @example
 * backoffDelay(3, 500, 30_000); // between 2,000 and 4,000 ms
 */
export function backoffDelay(attempt: number, min = 500, max = 30_000, random: () => number = Math.random): number {
  const base = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}

/**
 * Resolves after `ms`, or at once when `signal` aborts.
 *
 * @example
 * await sleep(100);
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}
