/**
 * Delivery receipts: when messages of others reach this device (live, or by a catch-up), the
 * client moves its `delivered` pointer (`POST …/delivered {seq}`) so their senders see `delivered`.
 * One request per channel at most every `delayMs` (a burst of messages is one receipt), only while
 * connected, and not in channels above `maxMembers` (a receipt is an event for every member).
 */
import type { ChannelState } from '@parley/protocol';
import type { ClientSnapshot } from '../state/types.js';

/**
 * Options of `deliveryReceipts` in `ParleyClientOptions`.
 *
 * @example
 * new ParleyClient({ url, tokenProvider, deliveryReceipts: { maxMembers: 50, delayMs: 2_000 } });
 */
export interface DeliveryReceiptOptions {
  /** Channels with more members send none (default 100). */
  maxMembers?: number;
  /** Debounce per channel in ms (default 1,000). */
  delayMs?: number;
}

/**
 * Watches the store and sends receipts.
 *
 * @example
 * const receipts = new DeliveryReceipts((cid, seq) => client.read.markDelivered(cid, seq));
 * store.subscribe(() => receipts.update(store.getSnapshot()));
 */
export class DeliveryReceipts {
  private seen: ClientSnapshot['channels'] = {};
  private readonly sent = new Map<string, number>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly post: (cid: string, seq: number) => Promise<unknown>,
    private readonly options: DeliveryReceiptOptions = {},
  ) {}

  /** Called on every store change: schedules a receipt for channels with undelivered messages. */
  update(snapshot: ClientSnapshot): void {
    // Offline changes are looked at once connected (`seen` stays behind until then).
    if (snapshot.channels === this.seen || snapshot.connection !== 'connected' || !snapshot.userId) return;
    const previous = this.seen;
    this.seen = snapshot.channels;
    for (const [cid, state] of Object.entries(snapshot.channels)) {
      if (previous[cid] === state || this.timers.has(cid)) continue;
      if (undelivered(state, snapshot.userId, this.sent.get(cid) ?? 0, this.options.maxMembers ?? 100) === 0) continue;
      const timer = setTimeout(() => this.flush(cid), this.options.delayMs ?? 1_000);
      (timer as { unref?: () => void }).unref?.();
      this.timers.set(cid, timer);
    }
  }

  /** Clears the timers (client closed). */
  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private flush(cid: string): void {
    this.timers.delete(cid);
    const state = this.seen[cid];
    const me = state?.membership?.user_id;
    if (!state || !me) return;
    const seq = undelivered(state, me, this.sent.get(cid) ?? 0, this.options.maxMembers ?? 100);
    if (seq === 0) return;
    this.sent.set(cid, seq);
    // A failed receipt is sent again with the next message; it is not worth a retry loop.
    this.post(cid, seq).catch(() => this.sent.delete(cid));
  }
}

/** The newest seq of someone else's message not yet marked delivered by me (0: none). */
function undelivered(state: ChannelState, me: string, alreadySent: number, maxMembers: number): number {
  const membership = state.membership;
  if (!membership || state.member_count > maxMembers) return 0;
  const floor = Math.max(membership.last_delivered_seq, membership.last_read_seq, alreadySent);
  for (let i = state.messages.length - 1; i >= 0; i--) {
    const message = state.messages[i]!;
    if (message.seq <= floor) return 0;
    if (message.user?.id !== me && message.type !== 'system' && message.type !== 'deleted') return message.seq;
  }
  return 0;
}
