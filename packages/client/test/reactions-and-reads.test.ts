/**
 * Optimistic reactions (shown at once, confirmed, or reverted when refused), read state and
 * delivery status (sent → delivered → read from the other member's pointers), drafts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage, ParleyError, selectDraft, selectMessages } from '@parley/client';
import { putType } from '../../../test/conversations/helpers.js';
import { createChannel, eventually, startSdkWorld, type SdkWorld } from './helpers.js';

let w: SdkWorld;
let n = 0;
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob']);
  await putType(w.t, w.app, 'noreact', { reactions: false });
});
afterEach(() => w.closeClients());
afterAll(() => w.close());

async function setup(type = 'messaging') {
  const cid = await createChannel(w, 'alice', { type, id: `rr-${++n}`, members: ['alice', 'bob'] });
  const alice = w.client('alice');
  const bob = w.client('bob');
  await Promise.all([alice.connect(), bob.connect()]);
  await Promise.all([alice.whenSynced(), bob.whenSynced()]);
  const sent = await alice.send(cid, { text: 'react to me' }).settled;
  if (sent.status !== 'sent') throw new Error('send failed');
  await eventually(() => expect(selectMessages(bob.store.getSnapshot(), cid)).toHaveLength(1));
  return { cid, alice, bob, message: sent.message };
}

describe('optimistic reactions', () => {
  it('shows the reaction at once and keeps it once the server confirms; the other member sees it', async () => {
    const { cid, alice, bob, message } = await setup();
    const seen: number[] = [];
    bob.store.subscribe(() => seen.push(selectMessages(bob.store.getSnapshot(), cid)[0]?.reaction_counts.like ?? 0));
    const pending = bob.react(message.id, 'like');
    expect(selectMessages(bob.store.getSnapshot(), cid)[0]!.reaction_counts).toEqual({ like: 1 });
    expect(selectMessages(bob.store.getSnapshot(), cid)[0]!.own_reactions.map((r) => r.type)).toEqual(['like']);
    await pending;
    expect(seen.every((count) => count === 1)).toBe(true);
    await eventually(() => expect(selectMessages(alice.store.getSnapshot(), cid)[0]!.reaction_counts).toEqual({ like: 1 }));
    expect(selectMessages(alice.store.getSnapshot(), cid)[0]!.own_reactions).toEqual([]);
    await bob.unreact(message.id, 'like');
    expect(selectMessages(bob.store.getSnapshot(), cid)[0]!.reaction_counts).toEqual({});
  });

  it('a forbidden reaction is shown, then reverted, and the error is the server’s', async () => {
    const { cid, bob, message } = await setup('noreact');
    const before = selectMessages(bob.store.getSnapshot(), cid)[0]!;
    const attempt = bob.react(message.id, 'like');
    expect(selectMessages(bob.store.getSnapshot(), cid)[0]!.reaction_counts).toEqual({ like: 1 });
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParleyError);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED', status: 403 });
    const after = selectMessages(bob.store.getSnapshot(), cid)[0]!;
    expect(after.reaction_counts).toEqual(before.reaction_counts);
    expect(after.own_reactions).toEqual([]);
    expect(bob.store.getSnapshot().pendingActions).toEqual([]);
  });
});

describe('read state', () => {
  it('status goes sent → delivered (a receipt the other member’s client sends by itself) → read; unread counts follow', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `rr-${++n}`, members: ['alice', 'bob'] });
    const alice = w.client('alice');
    const bob = w.client('bob', { deliveryReceipts: { delayMs: 300 } });
    await Promise.all([alice.connect(), bob.connect()]);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);
    await eventually(() => expect(bob.connection).toBe('connected'));
    const sent = await alice.send(cid, { text: 'did you get this?' }).settled;
    expect(sent.status).toBe('sent');
    expect(selectMessages(alice.store.getSnapshot(), cid)[0]!.status).toBe('sent');
    await eventually(() => expect(selectMessages(alice.store.getSnapshot(), cid)[0]!.status).toBe('delivered'));
    expect(bob.store.getSnapshot().channels[cid]!.unread_count).toBe(1);
    await bob.markRead(cid);
    expect(bob.store.getSnapshot().channels[cid]!.unread_count).toBe(0);
    await eventually(() => expect(selectMessages(alice.store.getSnapshot(), cid)[0]!.status).toBe('read'));
    expect(selectMessages(bob.store.getSnapshot(), cid)[0]!.status).toBe('received');
  });

  it('without delivery receipts the status stays sent until read', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `rr-${++n}`, members: ['alice', 'bob'] });
    const alice = w.client('alice');
    const bob = w.client('bob', { deliveryReceipts: false });
    await Promise.all([alice.connect(), bob.connect()]);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);
    const sent = await alice.send(cid, { text: 'quiet' }).settled;
    await eventually(() => expect(selectMessages(bob.store.getSnapshot(), cid)).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(selectMessages(alice.store.getSnapshot(), cid)[0]!.status).toBe('sent');
    await bob.read.markDelivered(cid, sent.status === 'sent' ? sent.message.seq : 0);
    await eventually(() => expect(selectMessages(alice.store.getSnapshot(), cid)[0]!.status).toBe('delivered'));
  });
});

describe('drafts', () => {
  it('are kept per channel and per thread, and survive a restart', async () => {
    const { cid, message } = await setup();
    const storage = new MemoryStorage();
    const first = w.client('alice', { storage });
    await first.connect();
    first.drafts.set(cid, 'channel draft');
    first.drafts.set(cid, 'thread draft', message.id);
    first.drafts.set(cid, 'gone');
    first.drafts.clear(cid);
    first.drafts.set(cid, 'channel draft');
    await first.close();
    const second = w.client('alice', { storage, realtime: false, pollIntervalMs: 0 });
    await second.connect();
    expect(selectDraft(second.store.getSnapshot(), cid)?.text).toBe('channel draft');
    expect(selectDraft(second.store.getSnapshot(), cid, message.id)?.text).toBe('thread draft');
    second.drafts.clear(cid);
    expect(selectDraft(second.store.getSnapshot(), cid)).toBeUndefined();
  });
});
