/** The coalescing per-key throttle behind user.presence.changed, with fake timers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoalescingThrottle } from './throttle.js';

let runs: Array<{ key: string; at: number; state: string }>;
let state: Record<string, string>;
let started: number;

beforeEach(() => {
  vi.useFakeTimers();
  started = Date.now();
  runs = [];
  state = {};
});
afterEach(() => vi.useRealTimers());

function throttle(periodMs = 5_000) {
  return new CoalescingThrottle(periodMs, async (key) => {
    runs.push({ key, at: Date.now() - started, state: state[key] ?? '' });
    return true;
  });
}

describe('CoalescingThrottle', () => {
  it('runs the first touch at once, then at most once per period with the last state', async () => {
    const t = throttle();
    state.u = 'online';
    t.touch('u');
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([{ key: 'u', at: 0, state: 'online' }]);
    // Three changes within the period: one run at its end, seeing the last state.
    await vi.advanceTimersByTimeAsync(1_000);
    state.u = 'offline';
    t.touch('u');
    state.u = 'online';
    t.touch('u');
    state.u = 'away';
    t.touch('u');
    await vi.advanceTimersByTimeAsync(3_999);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([
      { key: 'u', at: 0, state: 'online' },
      { key: 'u', at: 5_000, state: 'away' },
    ]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(2);
  });

  it('keys are independent', async () => {
    const t = throttle();
    t.touch('a');
    t.touch('b');
    await vi.advanceTimersByTimeAsync(0);
    t.touch('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => `${r.key}@${r.at}`)).toEqual(['a@0', 'b@0']);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs.map((r) => `${r.key}@${r.at}`)).toEqual(['a@0', 'b@0', 'a@5000']);
  });

  it('a run that published nothing starts no period', async () => {
    let publish = false;
    const seen: number[] = [];
    const t = new CoalescingThrottle(5_000, async () => {
      seen.push(Date.now() - started);
      return publish;
    });
    t.touch('u');
    await vi.advanceTimersByTimeAsync(1_000);
    publish = true;
    t.touch('u');
    await vi.advanceTimersByTimeAsync(0);
    t.touch('u');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen).toEqual([0, 1_000, 6_000]);
  });

  it('a touch while a run is in progress leads to one more run', async () => {
    let release!: () => void;
    const seen: number[] = [];
    const t = new CoalescingThrottle(1_000, async () => {
      seen.push(Date.now() - started);
      if (seen.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return true;
    });
    t.touch('u');
    await vi.advanceTimersByTimeAsync(0);
    t.touch('u');
    t.touch('u');
    await vi.advanceTimersByTimeAsync(500);
    release();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(seen).toEqual([0, 1_500]);
  });

  it('close drops scheduled runs; failures are reported and do not stop the key', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const seen: number[] = [];
    const t = new CoalescingThrottle(
      1_000,
      async () => {
        seen.push(Date.now() - started);
        if (fail) throw new Error('db down');
        return true;
      },
      (error) => errors.push(error),
    );
    t.touch('u');
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    fail = false;
    t.touch('u');
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([0, 0]);
    t.touch('u');
    expect(t.busy()).toBe(1);
    await t.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toEqual([0, 0]);
  });
});
