/**
 * The typing state machine with fake timers: throttle, expiry, stop, deferred start after a stop,
 * threads, and two nodes (two trackers on one broker, each with its own node id) handing the
 * expiry over and cancelling each other's.
 */
import type { UserRef } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryBroker } from '../engines/broker-memory.js';
import { channelTopic, type BrokerMessage } from '../engines/broker.js';
import { TypingTracker, type TypingTarget } from './typing.js';

const alice: UserRef = { id: 'alice', name: 'Alice', image: null };
const target = (parentId: string | null = null, user: UserRef = alice): TypingTarget => ({ appId: 'app', type: 'messaging', channelId: 'room', user, parentId });
const TOPIC = channelTopic('app', 'messaging', 'room');

let broker: MemoryBroker;
let seen: Array<{ at: number; type: string; user: string; parent_id: unknown; origin?: string }>;
let started: number;

/** What the channel's watchers got, as `type@ms-since-start` (and the thread when there is one). */
function timeline(): string[] {
  return seen.map((e) => `${e.type}@${e.at}${e.parent_id ? `:${String(e.parent_id)}` : ''}`);
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  started = Date.now();
  broker = new MemoryBroker();
  seen = [];
  broker.subscribe(TOPIC, (m: BrokerMessage) => {
    seen.push({ at: Date.now() - started, type: m.event.type, user: (m.event.user as { id: string }).id, parent_id: m.event.parent_id, origin: m.origin });
  });
});

afterEach(() => {
  vi.useRealTimers();
});

function tracker(nodeId = 'node-a') {
  return new TypingTracker(broker, { nodeId, timeoutMs: 7_000, throttleMs: 2_000 });
}

describe('one node', () => {
  it('publishes a start, and a stop 7 s after it when none comes', () => {
    const t = tracker();
    expect(t.start(target())).toBe('published');
    expect(timeline()).toEqual(['typing.start@0']);
    vi.advanceTimersByTime(6_999);
    expect(timeline()).toEqual(['typing.start@0']);
    vi.advanceTimersByTime(1);
    expect(timeline()).toEqual(['typing.start@0', 'typing.stop@7000']);
    expect(t.size()).toBe(0);
  });

  it('the event names the channel, the user, the thread and the time', () => {
    const t = tracker();
    const messages: BrokerMessage[] = [];
    broker.subscribe(TOPIC, (m) => messages.push(m));
    t.start(target('0190a0a0-0000-7000-8000-000000000001'));
    expect(messages[0]).toEqual({
      appId: 'app',
      origin: 'node-a',
      event: { type: 'typing.start', cid: 'messaging:room', created_at: '2026-01-01T00:00:00.000Z', user: alice, parent_id: '0190a0a0-0000-7000-8000-000000000001' },
    });
  });

  it('publishes at most one start per 2 s; dropped starts still move the expiry', () => {
    const t = tracker();
    t.start(target());
    vi.advanceTimersByTime(500);
    expect(t.start(target())).toBe('throttled');
    vi.advanceTimersByTime(1_000);
    expect(t.start(target())).toBe('throttled'); // at 1.5 s: the expiry is now 8.5 s
    vi.advanceTimersByTime(500);
    expect(t.start(target())).toBe('published'); // at 2 s: a new window
    vi.advanceTimersByTime(1_000);
    expect(t.start(target())).toBe('throttled'); // at 3 s: expiry at 10 s
    vi.advanceTimersByTime(6_999);
    expect(timeline()).toEqual(['typing.start@0', 'typing.start@2000']);
    vi.advanceTimersByTime(1);
    expect(timeline()).toEqual(['typing.start@0', 'typing.start@2000', 'typing.stop@10000']);
  });

  it('keeps typing as long as starts keep coming, with one start published per window', () => {
    const t = tracker();
    for (let ms = 0; ms < 20_000; ms += 300) {
      t.start(target());
      vi.advanceTimersByTime(300);
    }
    const starts = seen.filter((e) => e.type === 'typing.start').map((e) => e.at);
    expect(seen.filter((e) => e.type === 'typing.stop')).toEqual([]);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(2_000);
    expect(starts).toEqual([0, 2_100, 4_200, 6_300, 8_400, 10_500, 12_600, 14_700, 16_800, 18_900]);
    vi.advanceTimersByTime(7_000);
    expect(seen.at(-1)).toMatchObject({ type: 'typing.stop', at: 19_800 + 7_000 });
  });

  it('a stop publishes typing.stop and cancels the expiry', () => {
    const t = tracker();
    t.start(target());
    vi.advanceTimersByTime(3_000);
    expect(t.stop(target())).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(timeline()).toEqual(['typing.start@0', 'typing.stop@3000']);
    expect(t.size()).toBe(0);
  });

  it('a start right after a stop is announced when the throttle window ends (if still typing)', () => {
    const t = tracker();
    t.start(target());
    vi.advanceTimersByTime(500);
    t.stop(target());
    vi.advanceTimersByTime(500);
    expect(t.start(target())).toBe('deferred'); // at 1 s
    expect(t.start(target())).toBe('deferred');
    vi.advanceTimersByTime(1_000);
    expect(timeline()).toEqual(['typing.start@0', 'typing.stop@500', 'typing.start@2000']);
    // The expiry counts from the last start the user sent (1 s), not from the publication.
    vi.advanceTimersByTime(6_000);
    expect(timeline()).toEqual(['typing.start@0', 'typing.stop@500', 'typing.start@2000', 'typing.stop@8000']);
  });

  it('a deferred start stopped before its window ends is never published', () => {
    const t = tracker();
    t.start(target());
    t.stop(target());
    vi.advanceTimersByTime(1_000);
    t.start(target());
    vi.advanceTimersByTime(500);
    t.stop(target());
    vi.advanceTimersByTime(30_000);
    expect(timeline()).toEqual(['typing.start@0', 'typing.stop@0', 'typing.stop@1500']);
    expect(t.size()).toBe(0);
  });

  it('keys are per user and per thread', () => {
    const t = tracker();
    const bob = { id: 'bob', name: null, image: null };
    t.start(target());
    t.start(target('p-1'));
    t.start(target(null, bob));
    expect(seen.map((e) => `${e.user}:${String(e.parent_id)}`)).toEqual(['alice:null', 'alice:p-1', 'bob:null']);
    vi.advanceTimersByTime(1_000);
    t.stop(target('p-1'));
    vi.advanceTimersByTime(6_000);
    expect(timeline()).toEqual(['typing.start@0', 'typing.start@0:p-1', 'typing.start@0', 'typing.stop@1000:p-1', 'typing.stop@7000', 'typing.stop@7000']);
  });

  it('above the watcher threshold (announce false) a stop is published only after a start this node showed', () => {
    const t = tracker();
    expect(t.stop(target(), false)).toBe(false);
    t.start(target());
    expect(t.stop(target(), false)).toBe(true);
    expect(timeline()).toEqual(['typing.start@0', 'typing.stop@0']);
  });

  it('listens to the channel topic only while it holds state for the channel', () => {
    const spy = vi.spyOn(broker, 'subscribe');
    const t = tracker();
    t.start(target());
    t.start(target('p-1'));
    expect(spy).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(7_000);
    expect(t.size()).toBe(0);
    // Only the test's own subscriber is left on the topic.
    const before = seen.length;
    void broker.publish(TOPIC, { appId: 'app', event: { type: 'typing.start', user: alice, parent_id: null, created_at: '' }, origin: 'elsewhere' });
    expect(seen.length).toBe(before + 1);
  });

  it('close publishes a stop for every key it shows, then does nothing more', async () => {
    const t = tracker();
    t.start(target());
    t.start(target('p-1'));
    await t.close();
    expect(timeline()).toEqual(['typing.start@0', 'typing.start@0:p-1', 'typing.stop@0', 'typing.stop@0:p-1']);
    expect(t.start(target())).toBe('closed');
    vi.advanceTimersByTime(60_000);
    expect(seen).toHaveLength(4);
  });
});

describe('two nodes', () => {
  it('a stop received on the other node cancels the expiry on the node that took the start', () => {
    const a = tracker('node-a');
    const b = tracker('node-b');
    a.start(target());
    vi.advanceTimersByTime(1_000);
    b.stop(target());
    expect(a.size()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(seen.map((e) => `${e.type}@${e.at}/${e.origin}`)).toEqual(['typing.start@0/node-a', 'typing.stop@1000/node-b']);
  });

  it('a start on the other node hands the expiry over to it', () => {
    const a = tracker('node-a');
    const b = tracker('node-b');
    a.start(target());
    vi.advanceTimersByTime(3_000);
    b.start(target());
    expect(a.size()).toBe(0);
    expect(b.isTyping({ appId: 'app', type: 'messaging', channelId: 'room', userId: 'alice', parentId: null })).toBe(true);
    // A's expiry (at 7 s) no longer fires; B's (at 10 s) does, once.
    vi.advanceTimersByTime(60_000);
    expect(seen.map((e) => `${e.type}@${e.at}/${e.origin}`)).toEqual(['typing.start@0/node-a', 'typing.start@3000/node-b', 'typing.stop@10000/node-b']);
  });

  it('two starts at the same moment on two nodes leave exactly one expiry', () => {
    const a = tracker('node-a');
    const b = tracker('node-b');
    a.start(target());
    b.start(target());
    // Same created_at: the larger node id keeps the expiry, on both nodes' reckoning.
    expect(a.size()).toBe(0);
    expect(b.size()).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(seen.filter((e) => e.type === 'typing.stop').map((e) => `${e.at}/${e.origin}`)).toEqual(['7000/node-b']);
  });

  it('a stop older than a later start on this node is ignored', () => {
    const a = tracker('node-a');
    a.start(target());
    vi.advanceTimersByTime(1_000);
    // A stop created at 0.5 s by another node arrives after the start this node took at 1 s.
    a.start(target());
    void broker.publish(TOPIC, { appId: 'app', event: { type: 'typing.stop', user: alice, parent_id: null, created_at: new Date(started + 500).toISOString() }, origin: 'node-b' });
    expect(a.isTyping({ appId: 'app', type: 'messaging', channelId: 'room', userId: 'alice', parentId: null })).toBe(true);
  });

  it('ignores other users, other threads and its own echo', () => {
    const a = tracker('node-a');
    a.start(target('p-1'));
    void broker.publish(TOPIC, { appId: 'app', event: { type: 'typing.stop', user: { id: 'bob' }, parent_id: 'p-1', created_at: new Date().toISOString() }, origin: 'node-b' });
    void broker.publish(TOPIC, { appId: 'app', event: { type: 'typing.stop', user: alice, parent_id: null, created_at: new Date().toISOString() }, origin: 'node-b' });
    void broker.publish(TOPIC, { appId: 'app', event: { type: 'typing.stop', user: alice, parent_id: 'p-1', created_at: new Date().toISOString() }, origin: 'node-a' });
    expect(a.size()).toBe(1);
    vi.advanceTimersByTime(7_000);
    expect(seen.filter((e) => e.type === 'typing.stop' && e.origin === 'node-a').map((e) => e.at)).toEqual([0, 7_000]); // the fake echo, then the expiry
  });
});
