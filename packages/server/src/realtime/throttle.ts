/**
 * A per-key throttle that coalesces: `touch(key)` asks for `run(key)`; a key runs at most once
 * per `periodMs` (counted from runs that did something), and every touch while a run is scheduled
 * or in progress folds into one more run, which reads the state as it is then (the last state
 * wins). The first touch after a quiet period runs on the next tick.
 */
export class CoalescingThrottle {
  private readonly keys = new Map<string, KeyState>();
  private closed = false;

  /** `run` resolves true when it published something (only then does a period start). */
  constructor(
    private readonly periodMs: number,
    private readonly run: (key: string) => Promise<boolean>,
    private readonly onError: (error: unknown, key: string) => void = () => {},
  ) {}

  touch(key: string): void {
    if (this.closed) return;
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { lastAt: -Infinity, timer: null, running: null, dirty: false }));
    if (state.timer || state.running) {
      state.dirty = true;
      return;
    }
    this.schedule(key, state);
  }

  /** Whether the key has a run scheduled or in progress. */
  isBusy(key: string): boolean {
    const state = this.keys.get(key);
    return !!state && (!!state.timer || !!state.running);
  }

  /** Keys with a run scheduled or in progress (tests). */
  busy(): number {
    let n = 0;
    for (const state of this.keys.values()) if (state.timer || state.running) n++;
    return n;
  }

  /** Forgets keys that are idle and past their period (memory). */
  prune(): void {
    const now = Date.now();
    for (const [key, state] of this.keys) if (!state.timer && !state.running && now - state.lastAt >= this.periodMs) this.keys.delete(key);
  }

  /** Drops scheduled runs and waits for those in progress. */
  async close(): Promise<void> {
    this.closed = true;
    const running: Array<Promise<void>> = [];
    for (const state of this.keys.values()) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = null;
      if (state.running) running.push(state.running);
    }
    this.keys.clear();
    await Promise.all(running);
  }

  private schedule(key: string, state: KeyState): void {
    const wait = Math.max(0, state.lastAt + this.periodMs - Date.now());
    state.timer = setTimeout(() => {
      state.timer = null;
      state.dirty = false;
      state.running = this.runOnce(key, state);
    }, wait);
    state.timer.unref?.();
  }

  private async runOnce(key: string, state: KeyState): Promise<void> {
    try {
      if (await this.run(key)) state.lastAt = Date.now();
    } catch (error) {
      this.onError(error, key);
    } finally {
      state.running = null;
    }
    if (state.dirty && !this.closed && this.keys.get(key) === state) {
      state.dirty = false;
      this.schedule(key, state);
    }
  }
}

interface KeyState {
  /** When a run last did something. */
  lastAt: number;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
  /** Touched while scheduled or running: one more run follows. */
  dirty: boolean;
}
