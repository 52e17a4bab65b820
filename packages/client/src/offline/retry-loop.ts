/**
 * The sending loop the outbox and the action queue share: one attempt at a time while there is
 * work and the loop is not paused; an attempt returns how long to wait before the next one, and
 * `kick` cuts the wait short (reconnect, new work).
 */
import { sleep } from '../util/backoff.js';

/**
 * @example
 * const loop = new RetryLoop(async () => (queue.length ? attemptFirst() : null), () => notifyIdle());
 * loop.kick(); // on connect, on new work
 */
export class RetryLoop {
  private running = false;
  private paused = true;
  private wake = new AbortController();

  /**
   * @param attempt one attempt: ms to wait before the next, or null when there is nothing to do now.
   * @param stopped called each time the loop stops (idle waiters).
   */
  constructor(
    private readonly attempt: () => Promise<number | null>,
    private readonly stopped: () => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Starts, or wakes a waiting loop. */
  kick(): void {
    this.paused = false;
    this.wake.abort();
    if (!this.running) void this.run();
  }

  /** Stops after the current attempt. */
  pause(): void {
    this.paused = true;
    this.wake.abort();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.paused) {
        const delay = await this.attempt();
        if (delay === null) break;
        if (delay > 0 && !this.paused) {
          this.wake = new AbortController();
          await sleep(delay, this.wake.signal);
        }
      }
    } finally {
      this.running = false;
      this.stopped();
    }
  }
}
