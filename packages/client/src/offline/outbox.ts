/**
 * The outbox: optimistic sends that survive going offline and restarting.
 *
 * An item is persisted before its first attempt and leaves the outbox when the server has the
 * message (the send's answer, or the message seen in an event or a state read: deduplicated by
 * client_msg_id). Sends go one at a time in enqueue order, so a channel's messages keep the order
 * they were written in. Network errors are not failures: the item waits (backoff, or at once when
 * the connection comes back). Server errors that may pass later (5xx, 429) are retried up to
 * `maxAttempts`; any other refusal fails the item at once. A retry after a lost answer is safe:
 * the server returns the original message for a known client_msg_id.
 */
import type { Message, SendMessageBody } from '@parley/protocol';
import { ParleyError } from '../errors.js';
import { backoffDelay } from '../util/backoff.js';
import { RetryLoop } from './retry-loop.js';
import { newClientMsgId } from '../util/ids.js';
import { mergeMessages } from '../state/apply-event.js';
import type { Store } from '../state/store.js';
import type { OutboxItem } from '../state/types.js';

/**
 * How a send ended. `closed`: the client was closed first; the item stays in the stored outbox
 * and the next instance over the same storage sends it (that item has no handle; watch the store).
 *
 * @example
 * const result = await client.send(cid, { text: 'hi' }).settled;
 * if (result.status === 'failed') console.warn(result.error.code);
 */
export type SendResult = { status: 'sent'; message: Message } | { status: 'failed'; error: ParleyError } | { status: 'cancelled' } | { status: 'closed' };

/**
 * What `client.send` returns.
 *
 * @example
 * const handle = client.send('messaging:general', { text: 'hello' });
 * handle.clientMsgId; // shown at once as a pending message with this id
 * const result = await handle.settled;
 * if (result.status === 'failed') handle.retry();
 */
export interface SendHandle {
  clientMsgId: string;
  /** Resolves once: sent, failed (after bounded retries), cancelled, or closed. Never rejects. */
  settled: Promise<SendResult>;
  retry(): void;
  cancel(): boolean;
}

/**
 * Options of the outbox.
 *
 * @example
 * new ParleyClient({ url, tokenProvider, outbox: { maxAttempts: 3, minDelayMs: 1_000 } });
 */
export interface OutboxOptions {
  /** Server-answered transient failures (5xx, 429) before an item fails (default 5). */
  maxAttempts?: number;
  /** Backoff bounds in ms (default 500 … 30,000). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

interface Dependencies {
  store: Store;
  send(cid: string, body: SendMessageBody): Promise<Message>;
  persist(outbox: readonly OutboxItem[]): Promise<void>;
  onSent?(item: OutboxItem, message: Message): void;
  onFailed?(item: OutboxItem, error: ParleyError): void;
}

/**
 * The processor behind `client.send`, `client.outbox.retry` and `client.outbox.cancel`.
 *
 * @example
 * client.outbox.retry(failedItem.client_msg_id);
 * client.outbox.cancel(failedItem.client_msg_id);
 */
export class Outbox {
  private inFlight: string | undefined;
  private networkFailures = 0;
  private readonly waiters = new Map<string, Array<(result: SendResult) => void>>();
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly deps: Dependencies,
    private readonly options: OutboxOptions = {},
  ) {}

  /** Adds a message (persisted first), shows it as pending, and sends it when possible. */
  enqueue(cid: string, body: SendMessageBody, userId: string): SendHandle {
    const clientMsgId = body.client_msg_id ?? newClientMsgId();
    const handle: SendHandle = {
      clientMsgId,
      settled: new Promise<SendResult>((resolve) => this.waiters.set(clientMsgId, [...(this.waiters.get(clientMsgId) ?? []), resolve])),
      retry: () => this.retry(clientMsgId),
      cancel: () => this.cancel(clientMsgId),
    };
    // The same client_msg_id again (a bot reacting to a replayed event): one item, two handles.
    if (this.deps.store.getSnapshot().outbox.some((i) => i.client_msg_id === clientMsgId)) return handle;
    const item: OutboxItem = {
      client_msg_id: clientMsgId,
      cid,
      user_id: userId,
      body: { ...body, client_msg_id: clientMsgId },
      status: 'sending',
      attempts: 0,
      created_at: new Date().toISOString(),
      error: null,
    };
    this.deps.store.update((s) => ({ ...s, outbox: [...s.outbox, item] }));
    void this.deps.persist(this.deps.store.getSnapshot().outbox).then(() => this.kick());
    return handle;
  }

  /** Puts a failed item back in line (attempts reset). */
  retry(clientMsgId: string): void {
    this.patch(clientMsgId, (item) => (item.status === 'failed' ? { ...item, status: 'sending', attempts: 0, error: null } : item));
    this.kick();
  }

  /** Removes an item that is not on the wire right now; false when it is (it may already be sent). */
  cancel(clientMsgId: string): boolean {
    if (this.inFlight === clientMsgId) return false;
    if (!this.deps.store.getSnapshot().outbox.some((i) => i.client_msg_id === clientMsgId)) return false;
    this.deps.store.update((s) => ({ ...s, outbox: s.outbox.filter((i) => i.client_msg_id !== clientMsgId) }));
    void this.deps.persist(this.deps.store.getSnapshot().outbox);
    this.settle(clientMsgId, { status: 'cancelled' });
    return true;
  }

  /** Starts (or wakes) sending: at connect, on reconnect, after a new item. */
  kick(): void {
    this.loop.kick();
  }

  /** Stops sending after the current attempt (auth failure, close). Items stay. */
  pause(): void {
    this.loop.pause();
  }

  /** Stops for good: open handles settle as `closed` (their items stay stored). */
  close(): void {
    this.pause();
    for (const id of [...this.waiters.keys()]) this.settle(id, { status: 'closed' });
  }

  /** Resolves when no item is waiting to be sent (failed ones do not count). */
  idle(): Promise<void> {
    if (!this.pending()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pending(): OutboxItem | undefined {
    return this.deps.store.getSnapshot().outbox.find((item) => item.status === 'sending');
  }

  private readonly loop = new RetryLoop(
    async () => {
      this.settleConfirmed();
      const item = this.pending();
      return item ? this.attempt(item) : null;
    },
    () => {
      this.settleConfirmed();
      if (!this.pending()) for (const resolve of this.idleWaiters.splice(0)) resolve();
    },
  );

  /** One attempt; returns how long to wait before the next one. */
  private async attempt(item: OutboxItem): Promise<number> {
    this.inFlight = item.client_msg_id;
    try {
      const message = await this.deps.send(item.cid, item.body);
      this.networkFailures = 0;
      this.deps.store.batch(() => {
        this.deps.store.update((s) => mergeMessages(s, item.cid, [message]));
        this.deps.store.update((s) => ({ ...s, outbox: s.outbox.filter((i) => i.client_msg_id !== item.client_msg_id) }));
      });
      await this.deps.persist(this.deps.store.getSnapshot().outbox);
      this.deps.onSent?.(item, message);
      this.settle(item.client_msg_id, { status: 'sent', message });
      return 0;
    } catch (caught) {
      const error = caught instanceof ParleyError ? caught : new ParleyError({ code: 'INTERNAL_ERROR', message: String(caught), cause: caught });
      if (error.code === 'NETWORK_ERROR') return backoffDelay(this.networkFailures++, this.options.minDelayMs, this.options.maxDelayMs);
      if (error.status === 401 || error.code === 'CLIENT_CLOSED') {
        this.pause();
        return 0;
      }
      const attempts = item.attempts + 1;
      if (error.transient && attempts < (this.options.maxAttempts ?? 5)) {
        this.patch(item.client_msg_id, (i) => ({ ...i, attempts }));
        return error.retryAfter !== undefined ? error.retryAfter * 1000 : backoffDelay(attempts, this.options.minDelayMs, this.options.maxDelayMs);
      }
      const failed = { ...item, attempts, status: 'failed' as const, error: { code: String(error.code), message: error.message } };
      this.patch(item.client_msg_id, () => failed);
      await this.deps.persist(this.deps.store.getSnapshot().outbox);
      this.deps.onFailed?.(failed, error);
      this.settle(item.client_msg_id, { status: 'failed', error });
      return 0;
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Handles of items that left the outbox through an event (the answer was lost) settle as sent. */
  private settleConfirmed(): void {
    if (this.waiters.size === 0) return;
    const snapshot = this.deps.store.getSnapshot();
    const waiting = new Set(snapshot.outbox.map((item) => item.client_msg_id));
    for (const id of [...this.waiters.keys()]) {
      if (waiting.has(id)) continue;
      for (const channel of Object.values(snapshot.channels)) {
        const message = channel.messages.find((m) => m.client_msg_id === id && m.user?.id === snapshot.userId);
        if (message) {
          this.settle(id, { status: 'sent', message });
          break;
        }
      }
    }
  }

  private patch(clientMsgId: string, change: (item: OutboxItem) => OutboxItem): void {
    this.deps.store.update((s) => {
      let changed = false;
      const outbox = s.outbox.map((item) => {
        if (item.client_msg_id !== clientMsgId) return item;
        const next = change(item);
        changed ||= next !== item;
        return next;
      });
      return changed ? { ...s, outbox } : s;
    });
    void this.deps.persist(this.deps.store.getSnapshot().outbox);
  }

  private settle(clientMsgId: string, result: SendResult): void {
    const resolvers = this.waiters.get(clientMsgId) ?? [];
    this.waiters.delete(clientMsgId);
    for (const resolve of resolvers) resolve(result);
  }
}
