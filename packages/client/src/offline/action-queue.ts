/**
 * The action queue: reactions, edits and deletes shown at once and sent when possible, like the
 * outbox does for sends. Actions are persisted (`snapshot.pendingActions`) before the first
 * attempt, so they survive going offline and an app restart.
 *
 * - Network errors wait (backoff, or at once on reconnect); 5xx / 429 (its `retry_after`) are
 *   retried up to `maxAttempts`; other refusals (PERMISSION_DENIED, EDIT_WINDOW_EXPIRED, …) drop
 *   the action, which is the revert: the selectors show the confirmed message again.
 * - Never applied twice: adding a reaction is idempotent on the server (by type); removing one that
 *   is gone, or deleting a message that is gone, is a success; an edit that may have reached the
 *   server before is checked (GET) first, so its text is never written twice.
 * - Actions on a message still in the outbox wait for its send, then use the server's id.
 * - One at a time in order; queued changes of one message collapse (last edit wins, a delete
 *   drops earlier changes, the last reaction op of a type wins).
 */
import type { Message } from '@parley/protocol';
import { ParleyError } from '../errors.js';
import { backoffDelay } from '../util/backoff.js';
import { RetryLoop } from './retry-loop.js';
import type { PendingAction } from '../state/action-types.js';
import type { Store } from '../state/store.js';
import { applyAnswer } from '../state/apply-event.js';
import { collapse, resolveTarget, type ActionApi, perform } from './action-perform.js';

interface Dependencies {
  store: Store;
  api: ActionApi;
  persist(actions: readonly PendingAction[]): Promise<void>;
  onFailed?(action: PendingAction, error: ParleyError): void;
}

type Settle = { resolve(message: Message | null): void; reject(error: unknown): void };

/**
 * The processor behind `client.react`, `client.unreact`, `client.editMessage` and
 * `client.deleteMessage`.
 *
 * @example
 * await client.actions.idle(); // nothing left that can be sent now
 */
export class ActionQueue {
  private inFlight: string | undefined;
  private networkFailures = 0;
  private readonly waiters = new Map<string, Settle[]>();
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly deps: Dependencies,
    private readonly options: { maxAttempts?: number; minDelayMs?: number; maxDelayMs?: number } = {},
  ) {}

  /** Shows `action` at once (persisted first) and sends it when possible; settles with the server's message. */
  enqueue(action: PendingAction): Promise<Message | null> {
    const promise = new Promise<Message | null>((resolve, reject) => this.waiters.set(action.id, [{ resolve, reject }]));
    // Fire-and-forget calls must not surface as unhandled rejections; awaiting callers still get them.
    promise.catch(() => undefined);
    let superseded: PendingAction[] = [];
    this.deps.store.update((s) => {
      const result = collapse(s.pendingActions, action, this.inFlight);
      superseded = result.superseded;
      return { ...s, pendingActions: result.actions };
    });
    for (const old of superseded) {
      const waiting = this.waiters.get(old.id) ?? [];
      this.waiters.delete(old.id);
      if (action.kind === 'delete' && old.kind !== 'delete') for (const w of waiting) w.reject(new ParleyError({ code: 'NOT_FOUND', status: 404, message: 'the message was deleted' }));
      else this.waiters.set(action.id, [...(this.waiters.get(action.id) ?? []), ...waiting]);
    }
    void this.deps.persist(this.deps.store.getSnapshot().pendingActions).then(() => this.kick());
    return promise;
  }

  /** Starts (or wakes) sending: at connect, on reconnect, after a send left the outbox. */
  kick(): void {
    this.loop.kick();
  }

  /** Stops after the current attempt (auth failure, close). Actions stay. */
  pause(): void {
    this.loop.pause();
  }

  /** Stops for good: open promises reject with `CLIENT_CLOSED` (their actions stay stored). */
  close(): void {
    this.pause();
    const error = new ParleyError({ code: 'CLIENT_CLOSED', message: 'the client was closed; the change stays queued in storage' });
    for (const [id, waiting] of [...this.waiters]) {
      this.waiters.delete(id);
      for (const w of waiting) w.reject(error);
    }
  }

  /** Resolves when no action can be sent now (none left, or all wait for their message's send). */
  idle(): Promise<void> {
    if (!this.loop.isRunning && !this.next()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The first action that can go now, with the server id of its message (or the error that ends it). */
  private next(): { action: PendingAction; messageId: string | null } | undefined {
    const snapshot = this.deps.store.getSnapshot();
    const waiting = new Set<string>();
    for (const action of snapshot.pendingActions) {
      if (waiting.has(action.message_id)) continue;
      const messageId = resolveTarget(snapshot, action);
      if (messageId === 'wait') waiting.add(action.message_id);
      else return { action, messageId };
    }
    return undefined;
  }

  private readonly loop = new RetryLoop(
    async () => {
      const next = this.next();
      return next ? this.attempt(next.action, next.messageId) : null;
    },
    () => {
      if (!this.next() || this.loop.isPaused) for (const resolve of this.idleWaiters.splice(0)) resolve();
    },
  );

  /** One attempt; returns how long to wait before the next one. */
  private async attempt(action: PendingAction, messageId: string | null): Promise<number> {
    this.inFlight = action.id;
    try {
      if (messageId === null) throw new ParleyError({ code: 'NOT_FOUND', status: 404, message: 'the message of this change was never sent' });
      const repeated = action.tried;
      if (!repeated) {
        this.patch(action.id, (a) => ({ ...a, tried: true }));
        await this.deps.persist(this.deps.store.getSnapshot().pendingActions);
      }
      const snapshot = this.deps.store.getSnapshot();
      const me = { id: action.user_id, name: snapshot.me?.name ?? null, image: snapshot.me?.image ?? null };
      const { message, event } = await perform(this.deps.api, action, messageId, repeated, me);
      this.networkFailures = 0;
      // The confirmed message and the end of the optimistic change land in one update: no flicker.
      this.deps.store.batch(() => {
        if (event) this.deps.store.update((s) => applyAnswer(s, event));
        this.remove(action.id);
      });
      await this.deps.persist(this.deps.store.getSnapshot().pendingActions);
      this.settle(action.id, (w) => w.resolve(message));
      return 0;
    } catch (caught) {
      const error = caught instanceof ParleyError ? caught : new ParleyError({ code: 'INTERNAL_ERROR', message: String(caught), cause: caught });
      if (error.code === 'NETWORK_ERROR') return backoffDelay(this.networkFailures++, this.options.minDelayMs, this.options.maxDelayMs);
      if (error.status === 401 || error.code === 'CLIENT_CLOSED') {
        this.pause();
        return 0;
      }
      const attempts = action.attempts + 1;
      if (error.transient && attempts < (this.options.maxAttempts ?? 5)) {
        this.patch(action.id, (a) => ({ ...a, attempts }));
        void this.deps.persist(this.deps.store.getSnapshot().pendingActions);
        return error.retryAfter !== undefined ? error.retryAfter * 1000 : backoffDelay(attempts, this.options.minDelayMs, this.options.maxDelayMs);
      }
      // A refusal for good: dropping the action is the revert.
      this.remove(action.id);
      await this.deps.persist(this.deps.store.getSnapshot().pendingActions);
      this.deps.onFailed?.(action, error);
      this.settle(action.id, (w) => w.reject(error));
      return 0;
    } finally {
      this.inFlight = undefined;
    }
  }

  private patch(id: string, change: (action: PendingAction) => PendingAction): void {
    this.deps.store.update((s) => ({ ...s, pendingActions: s.pendingActions.map((a) => (a.id === id ? change(a) : a)) }));
  }

  private remove(id: string): void {
    this.deps.store.update((s) => ({ ...s, pendingActions: s.pendingActions.filter((a) => a.id !== id) }));
  }

  private settle(id: string, fn: (settle: Settle) => void): void {
    const waiting = this.waiters.get(id) ?? [];
    this.waiters.delete(id);
    for (const w of waiting) fn(w);
  }
}
