/**
 * Typing indicators, kept on the receiver's clock: a `typing.start` lasts `TYPING_TTL_MS` unless
 * renewed, so a lost `typing.stop` never leaves someone "typing" forever.
 */
import type { WireEvent } from '@parley/protocol';
import type { ClientSnapshot, TypingEntry } from './types.js';

/**
 * Applies `typing.start` (until `expiresAt`) or `typing.stop`; own events are ignored.
 *
 * @example
 * next = applyTyping(snapshot, { type: 'typing.start', cid, user }, Date.now() + 7000);
 */
export function applyTyping(state: ClientSnapshot, event: WireEvent, expiresAt: number): ClientSnapshot {
  const cid = event.cid;
  const user = event.user;
  if (!cid || !user || user.id === state.userId) return state;
  const current = state.typing[cid] ?? {};
  if (event.type === 'typing.stop') {
    if (!current[user.id]) return state;
    const { [user.id]: _gone, ...rest } = current;
    return { ...state, typing: { ...state.typing, [cid]: rest } };
  }
  const entry: TypingEntry = { user, parent_id: typeof event.parent_id === 'string' ? event.parent_id : null, expires_at: expiresAt };
  return { ...state, typing: { ...state.typing, [cid]: { ...current, [user.id]: entry } } };
}

/**
 * Removes entries that expired by `now`; returns the same snapshot when none did.
 *
 * @example
 * next = expireTyping(snapshot, Date.now());
 */
export function expireTyping(state: ClientSnapshot, now: number): ClientSnapshot {
  let typing: Record<string, Record<string, TypingEntry>> | undefined;
  for (const [cid, users] of Object.entries(state.typing)) {
    const alive = Object.entries(users).filter(([, entry]) => entry.expires_at > now);
    if (alive.length !== Object.keys(users).length) {
      typing ??= { ...state.typing } as Record<string, Record<string, TypingEntry>>;
      typing[cid] = Object.fromEntries(alive);
    }
  }
  return typing ? { ...state, typing } : state;
}

/**
 * The earliest expiry among typing entries (for scheduling the next `expireTyping`).
 *
 * @example
 * const at = nextTypingExpiry(snapshot); // ms epoch, or undefined
 */
export function nextTypingExpiry(state: ClientSnapshot): number | undefined {
  let next: number | undefined;
  for (const users of Object.values(state.typing)) for (const entry of Object.values(users)) if (next === undefined || entry.expires_at < next) next = entry.expires_at;
  return next;
}

/**
 * Runs `expireTyping` when the earliest typing entry expires (one timer at a time).
 *
 * @example
 * const expiry = new TypingExpiry(store, Date.now);
 * store.subscribe(() => expiry.schedule());
 */
export class TypingExpiry {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at: number | undefined;

  constructor(
    private readonly store: { getSnapshot(): ClientSnapshot; update(fn: (s: ClientSnapshot) => ClientSnapshot): void },
    private readonly now: () => number,
  ) {}

  schedule(): void {
    const at = nextTypingExpiry(this.store.getSnapshot());
    if (at === this.at) return;
    this.dispose();
    this.at = at;
    if (at === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = undefined;
      this.store.update((s) => expireTyping(s, this.now()));
      this.schedule();
    }, Math.max(0, at - this.now()) + 5);
    (this.timer as { unref?: () => void }).unref?.();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = undefined;
  }
}
