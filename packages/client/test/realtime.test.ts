/**
 * The client over the real gateway: connection state, live messages into the store, the same
 * order for concurrent senders, channels added while connected, typing with receiver expiry.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectChannelList, selectMessages, selectOnline, selectTyping } from '@parley/client';
import { createChannel, eventually, startSdkWorld, type SdkWorld } from './helpers.js';

let w: SdkWorld;
let n = 0;
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob', 'carol']);
});
afterEach(() => w.closeClients());
afterAll(() => w.close());

describe('realtime', () => {
  it('connects, loads the channel list, and shows a message sent by another member', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `rt-${++n}`, members: ['alice', 'bob'] });
    const bob = w.client('bob');
    const states: string[] = [];
    bob.on('connection', (s) => states.push(s));
    await bob.connect();
    await bob.whenSynced();
    await eventually(() => expect(bob.connection).toBe('connected'));
    expect(states[0]).toBe('connecting');
    expect(bob.store.getSnapshot().channelList).toContain(cid);
    const alice = w.client('alice');
    await alice.connect();
    await alice.whenSynced();
    const sent = await alice.send(cid, { text: 'hello bob' }).settled;
    expect(sent.status).toBe('sent');
    await eventually(() => expect(selectMessages(bob.store.getSnapshot(), cid).map((m) => m.text)).toEqual(['hello bob']));
    expect(bob.store.getSnapshot().channels[cid]!.unread_count).toBe(1);
  });

  it('two clients sending at once see the same order (by seq), each message once', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `rt-${++n}`, members: ['alice', 'bob'] });
    const alice = w.client('alice');
    const bob = w.client('bob');
    await Promise.all([alice.connect(), bob.connect()]);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);
    const handles = [];
    for (let i = 0; i < 10; i++) {
      handles.push(alice.send(cid, { text: `a${i}` }));
      handles.push(bob.send(cid, { text: `b${i}` }));
    }
    await Promise.all(handles.map((h) => h.settled));
    const view = (c: typeof alice) => selectMessages(c.store.getSnapshot(), cid).filter((m) => !m.pending).map((m) => `${m.seq}:${m.text}`);
    await eventually(() => {
      expect(view(alice)).toHaveLength(20);
      expect(view(bob)).toEqual(view(alice));
    });
    const seqs = selectMessages(alice.store.getSnapshot(), cid).map((m) => m.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    // Alice's own order is kept: a0 before a1 … (one outbox, in order).
    const mine = view(alice).filter((x) => x.includes(':a')).map((x) => x.split(':')[1]);
    expect(mine).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`));
  });

  it('being added to a channel shows it in the list without a reload', async () => {
    const carol = w.client('carol');
    await carol.connect();
    await carol.whenSynced();
    const cid = await createChannel(w, 'alice', { type: 'team', id: `added-${++n}`, name: 'Added later' });
    expect(carol.store.getSnapshot().channels[cid]).toBeUndefined();
    const [type, id] = cid.split(':');
    const res = await w.t.request('POST', `/v1/channels/${type}/${id}/members`, { token: w.tokens.alice, body: { user_ids: ['carol'] } });
    expect(res.status).toBe(200);
    // Messages right after the add race the client's load of the channel and its subscription:
    // the subscription recovers from the loaded state's position, so none is lost or doubled.
    for (const text of ['welcome', 'second', 'third']) await w.t.request('POST', `/v1/channels/${type}/${id}/messages`, { token: w.tokens.alice, body: { text } });
    await eventually(() => expect(selectChannelList(carol.store.getSnapshot()).map((c) => c.channel.cid)).toContain(cid));
    await eventually(() => expect(selectMessages(carol.store.getSnapshot(), cid).map((m) => m.text).filter((t) => !t.includes('added'))).toEqual(['welcome', 'second', 'third']));
    expect(carol.store.getSnapshot().channels[cid]!.unread_count).toBe(3);
    // …and it stays live.
    await w.t.request('POST', `/v1/channels/${type}/${id}/messages`, { token: w.tokens.alice, body: { text: 'later' } });
    await eventually(() => expect(selectMessages(carol.store.getSnapshot(), cid).map((m) => m.text)).toContain('later'));
  });

  it('typing shows for others and expires on the receiver side when the stop is lost', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `rt-${++n}`, members: ['alice', 'bob'] });
    const bob = w.client('bob', { typingTtlMs: 400 });
    await bob.connect();
    await bob.whenSynced();
    await eventually(() => expect(bob.connection).toBe('connected'));
    await new Promise((r) => setTimeout(r, 100));
    const [type, id] = cid.split(':');
    await w.t.request('POST', `/v1/channels/${type}/${id}/typing`, { token: w.tokens.alice, body: { state: 'start' } });
    await eventually(() => expect(selectTyping(bob.store.getSnapshot(), cid).map((t) => t.user.id)).toEqual(['alice']));
    // No stop ever comes: after the TTL (7 s by default, 400 ms here) the indicator is gone.
    await eventually(() => expect(selectTyping(bob.store.getSnapshot(), cid)).toEqual([]), 3_000);
  });

  it('presence: a member coming online and going away shows in the store', async () => {
    await createChannel(w, 'alice', { type: 'team', id: `presence-${++n}`, members: ['alice', 'bob'] });
    const alice = w.client('alice');
    await alice.connect();
    await alice.whenSynced();
    await eventually(() => expect(alice.connection).toBe('connected'));
    expect(selectOnline(alice.store.getSnapshot(), 'bob')).toBe(false);
    const bob = w.client('bob');
    await bob.connect();
    await eventually(() => expect(selectOnline(alice.store.getSnapshot(), 'bob')).toBe(true));
    await bob.close();
    await eventually(() => expect(selectOnline(alice.store.getSnapshot(), 'bob')).toBe(false));
  });
});
