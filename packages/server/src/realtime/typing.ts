/**
 * Typing state: who is typing where, the 7 s expiry of a start that is never stopped, the 2 s
 * throttle of published starts, and the hand-over between nodes. See docs/subsystems/realtime.md
 * "Typing".
 *
 * One state machine per (app, channel, user, thread `parent_id`), kept by the node that received
 * the start:
 *
 * - `start`: the expiry is (re)armed for `timeoutMs`. A `typing.start` is published unless this
 *   node published one for the key less than `throttleMs` ago: then the start is dropped silently
 *   (the expiry still moves), or, when the last event published was a stop, deferred to the end
 *   of the throttle window (published then if the user is still typing).
 * - `stop`: the expiry is cleared and `typing.stop` published (always: another node may hold the
 *   user's expiry, and the stop is how it learns).
 * - expiry: the node publishes `typing.stop` itself.
 *
 * Between nodes, the state travels in the channel's own broker topic: while a node holds state
 * for a channel it listens to the channel's topic and reads the typing events other nodes publish
 * (each carries its node as `origin`). A stop from another node ends the key here (unless this
 * node saw a start after it); a start from another node hands the expiry over to that node when
 * its start is the newer one (`created_at`, then node id: both nodes decide alike).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { UserRef } from '@parley/protocol';
import { channelTopic, type Broker, type BrokerMessage, type Unsubscribe } from '../engines/broker.js';

export const TYPING_TIMEOUT_MS = 7_000;
export const TYPING_THROTTLE_MS = 2_000;

export interface TypingOptions {
  /** A start without a stop ends after this long (default 7 s). */
  timeoutMs?: number;
  /** At most one published start per key per this long (default 2 s). */
  throttleMs?: number;
  /** This node's id in the `origin` of its publications (default: random). */
  nodeId?: string;
  log?: Logger;
}

/** Who types where: the state machine's key is (app, channel, user, parent). */
export interface TypingTarget {
  appId: string;
  type: string;
  channelId: string;
  user: UserRef;
  /** The thread (a message of the channel), or null for the channel itself. */
  parentId: string | null;
}

/** What a start did (tests, logs). */
export type StartOutcome = 'published' | 'throttled' | 'deferred' | 'closed';

interface Entry {
  readonly key: string;
  readonly channel: ChannelTyping;
  target: TypingTarget;
  /** The user is typing as far as this node knows: the expiry runs here. */
  typing: boolean;
  /** The last typing event this node published for the key was a start. */
  shown: boolean;
  /** When this node last published a start for the key (ms), and its `created_at`. */
  publishedAt: number;
  publishedStamp: string;
  /** When the user last said start here, published or not (ms). */
  activeAt: number;
  expiry: NodeJS.Timeout | null;
  pending: NodeJS.Timeout | null;
  cleanup: NodeJS.Timeout | null;
}

interface ChannelTyping {
  readonly topic: string;
  readonly entries: Map<string, Entry>;
  unsubscribe: Unsubscribe | null;
}

const START = 'typing.start';
const STOP = 'typing.stop';

function keyOf(userId: string, parentId: string | null): string {
  return `${userId}\u0000${parentId ?? ''}`;
}

/** Orders two starts between nodes: the later `created_at` wins, then the larger node id. */
function newer(a: { stamp: string; node: string }, b: { stamp: string; node: string }): boolean {
  return a.stamp !== b.stamp ? a.stamp > b.stamp : a.node > b.node;
}

export class TypingTracker {
  readonly nodeId: string;
  private readonly timeoutMs: number;
  private readonly throttleMs: number;
  private readonly log: Logger | undefined;
  /** By channel topic (`<app>/chat:<type>:<id>`). */
  private readonly channels = new Map<string, ChannelTyping>();
  private closed = false;

  constructor(
    private readonly broker: Broker,
    options: TypingOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? TYPING_TIMEOUT_MS;
    this.throttleMs = options.throttleMs ?? TYPING_THROTTLE_MS;
    this.nodeId = options.nodeId ?? randomUUID().slice(0, 8);
    this.log = options.log;
  }

  /** The user typed: (re)arms the expiry, publishes `typing.start` unless throttled. */
  start(target: TypingTarget): StartOutcome {
    if (this.closed) return 'closed';
    const entry = this.entry(target, true)!;
    const now = Date.now();
    entry.target = target;
    entry.typing = true;
    entry.activeAt = now;
    this.clear(entry, 'cleanup');
    this.clear(entry, 'expiry');
    entry.expiry = this.timer(this.timeoutMs, () => this.expire(entry));
    if (entry.pending) return 'deferred';
    const wait = entry.publishedAt + this.throttleMs - now;
    if (wait <= 0) {
      this.publishStart(entry);
      return 'published';
    }
    if (entry.shown) return 'throttled';
    // The watchers were told "stopped" less than the throttle window after the last start: this
    // start is announced when the window ends, if the user is still typing by then.
    entry.pending = this.timer(wait, () => {
      entry.pending = null;
      if (entry.typing) this.publishStart(entry);
      else this.forgetLater(entry);
    });
    return 'deferred';
  }

  /**
   * The user stopped: clears the expiry and publishes `typing.stop`. With `announce` false (the
   * channel is above its watcher threshold) the stop is published only if this node showed a start.
   * Returns whether a stop was published.
   */
  stop(target: TypingTarget, announce = true): boolean {
    if (this.closed) return false;
    const entry = this.entry(target, false);
    const shown = entry?.shown ?? false;
    if (entry) {
      entry.target = target;
      this.idle(entry);
    }
    const publish = announce || shown;
    if (publish) this.publish(target, STOP);
    if (entry) {
      entry.shown = false;
      this.forgetLater(entry);
    }
    return publish;
  }

  /** Keys held by this node (tests, metrics). */
  size(): number {
    let n = 0;
    for (const channel of this.channels.values()) n += channel.entries.size;
    return n;
  }

  /** Whether this node runs an expiry for the key (tests). */
  isTyping(target: Omit<TypingTarget, 'user'> & { userId: string }): boolean {
    const channel = this.channels.get(channelTopic(target.appId, target.type, target.channelId));
    return channel?.entries.get(keyOf(target.userId, target.parentId))?.typing ?? false;
  }

  /** Ends every key this node shows with a `typing.stop` (graceful shutdown), then forgets all. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stops: Array<Promise<void>> = [];
    for (const channel of [...this.channels.values()]) {
      for (const entry of [...channel.entries.values()]) {
        if (entry.shown || entry.typing) stops.push(this.publish(entry.target, STOP));
        this.delete(entry);
      }
    }
    await Promise.all(stops);
  }

  private entry(target: TypingTarget, create: boolean): Entry | null {
    const topic = channelTopic(target.appId, target.type, target.channelId);
    let channel = this.channels.get(topic);
    const key = keyOf(target.user.id, target.parentId);
    const found = channel?.entries.get(key);
    if (found || !create) return found ?? null;
    if (!channel) {
      const created: ChannelTyping = { topic, entries: new Map(), unsubscribe: null };
      created.unsubscribe = this.broker.subscribe(topic, (message) => this.receive(created, message));
      this.channels.set(topic, created);
      channel = created;
    }
    const entry: Entry = {
      key,
      channel,
      target,
      typing: false,
      shown: false,
      publishedAt: -Infinity,
      publishedStamp: '',
      activeAt: -Infinity,
      expiry: null,
      pending: null,
      cleanup: null,
    };
    channel.entries.set(key, entry);
    return entry;
  }

  /** The typing events of other nodes on a channel this node holds state for. */
  private receive(channel: ChannelTyping, message: BrokerMessage): void {
    const { event } = message;
    if ((event.type !== START && event.type !== STOP) || message.origin === this.nodeId || this.channels.get(channel.topic) !== channel) return;
    const userId = (event.user as { id?: unknown } | null | undefined)?.id;
    if (typeof userId !== 'string') return;
    const entry = channel.entries.get(keyOf(userId, typeof event.parent_id === 'string' ? event.parent_id : null));
    if (!entry) return;
    const stamp = typeof event.created_at === 'string' ? event.created_at : '';
    if (event.type === STOP) {
      // A stop older than the user's latest start here is stale: they started again since.
      if (Date.parse(stamp) < entry.activeAt) return;
      this.idle(entry);
      entry.shown = false;
      this.delete(entry);
      return;
    }
    // Another node announced a start. The newer start's node runs the expiry from now on.
    if (entry.typing && newer({ stamp: entry.publishedStamp, node: this.nodeId }, { stamp, node: message.origin ?? '' })) return;
    this.idle(entry);
    this.delete(entry);
  }

  private expire(entry: Entry): void {
    entry.expiry = null;
    if (this.channels.get(entry.channel.topic)?.entries.get(entry.key) !== entry) return;
    this.idle(entry);
    void this.publish(entry.target, STOP);
    entry.shown = false;
    this.forgetLater(entry);
  }

  private publishStart(entry: Entry): void {
    const now = Date.now();
    entry.publishedAt = now;
    entry.publishedStamp = new Date(now).toISOString();
    entry.shown = true;
    void this.publish(entry.target, START, entry.publishedStamp);
  }

  private publish(target: TypingTarget, type: typeof START | typeof STOP, createdAt = new Date().toISOString()): Promise<void> {
    const event = { type, cid: `${target.type}:${target.channelId}`, created_at: createdAt, user: target.user, parent_id: target.parentId };
    return this.broker.publish(channelTopic(target.appId, target.type, target.channelId), { appId: target.appId, event, origin: this.nodeId }).catch((error: unknown) => {
      this.log?.warn({ err: error, type }, 'typing publish failed');
    });
  }

  /** Not typing any more: no expiry, nothing deferred. */
  private idle(entry: Entry): void {
    entry.typing = false;
    this.clear(entry, 'expiry');
    this.clear(entry, 'pending');
  }

  /** Keeps an idle entry until its throttle window ends (a start right after a stop is deferred). */
  private forgetLater(entry: Entry): void {
    if (entry.typing || entry.pending) return;
    this.clear(entry, 'cleanup');
    const wait = entry.publishedAt + this.throttleMs - Date.now();
    if (wait <= 0) this.delete(entry);
    else entry.cleanup = this.timer(wait, () => {
      entry.cleanup = null;
      if (!entry.typing && !entry.pending) this.delete(entry);
    });
  }

  private delete(entry: Entry): void {
    this.clear(entry, 'expiry');
    this.clear(entry, 'pending');
    this.clear(entry, 'cleanup');
    const { channel } = entry;
    if (channel.entries.get(entry.key) !== entry) return;
    channel.entries.delete(entry.key);
    if (channel.entries.size === 0 && this.channels.get(channel.topic) === channel) {
      this.channels.delete(channel.topic);
      channel.unsubscribe?.();
    }
  }

  private clear(entry: Entry, which: 'expiry' | 'pending' | 'cleanup'): void {
    const timer = entry[which];
    if (timer) clearTimeout(timer);
    entry[which] = null;
  }

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(fn, ms);
    timer.unref?.();
    return timer;
  }
}
