/**
 * Sending typing indicators: `keystroke` sends `start` at most every few seconds while the user
 * types and `stop` after a pause; `stop` right away when the message is sent. Receivers expire
 * a `start` after 7 s on their own, so a lost `stop` is harmless.
 */

/**
 * `client.typing`.
 *
 * @example
 * input.addEventListener('input', () => client.typing.keystroke(cid));
 * form.addEventListener('submit', () => client.typing.stop(cid));
 */
export class TypingSender {
  private readonly active = new Map<string, { sentAt: number; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly post: (cid: string, state: 'start' | 'stop', parentId: string | null) => Promise<void>,
    private readonly now: () => number,
    private readonly options: { renewMs?: number; idleMs?: number } = {},
  ) {}

  /**
   * The user typed in a channel (or a thread): sends `start` unless one was sent in the last 3 s,
   * and schedules `stop` after 5 s without keystrokes.
   *
   * @example
   * client.typing.keystroke('messaging:general');
   */
  keystroke(cid: string, parentId: string | null = null): void {
    const key = parentId ? `${cid}/${parentId}` : cid;
    const current = this.active.get(key);
    const now = this.now();
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(() => this.stop(cid, parentId), this.options.idleMs ?? 5_000);
    (timer as { unref?: () => void }).unref?.();
    const renew = !current || now - current.sentAt >= (this.options.renewMs ?? 3_000);
    this.active.set(key, { sentAt: renew ? now : current!.sentAt, timer });
    if (renew) this.post(cid, 'start', parentId).catch(() => undefined);
  }

  /**
   * The user stopped typing (sent the message, cleared the input).
   *
   * @example
   * client.typing.stop('messaging:general');
   */
  stop(cid: string, parentId: string | null = null): void {
    const key = parentId ? `${cid}/${parentId}` : cid;
    const current = this.active.get(key);
    if (!current) return;
    clearTimeout(current.timer);
    this.active.delete(key);
    this.post(cid, 'stop', parentId).catch(() => undefined);
  }

  /** Clears every timer (client closed). */
  dispose(): void {
    for (const { timer } of this.active.values()) clearTimeout(timer);
    this.active.clear();
  }
}
