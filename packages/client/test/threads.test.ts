/**
 * Threads in the store, against the real server: loading a thread and its older replies, a reply
 * sent through the outbox showing at once in the thread (not in the channel), live replies,
 * reply_count / thread_participants following the server, edits and reactions of replies.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectMessages, selectThread, type ParleyClient } from '@parley/client';
import { createChannel, eventually, startSdkWorld, type SdkWorld } from './helpers.js';

let w: SdkWorld;
let n = 0;
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob']);
});
afterEach(() => w.closeClients());
afterAll(() => w.close());

const post = async (cid: string, user: string, body: Record<string, unknown>) => {
  const res = await w.t.request('POST', `/v1/channels/${cid.replace(':', '/')}/messages`, { token: w.tokens[user], body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message;
};
const thread = (c: ParleyClient, parentId: string) => selectThread(c.store.getSnapshot(), parentId);
const texts = (c: ParleyClient, parentId: string) => thread(c, parentId).replies.map((m) => m.text);

async function setup() {
  const cid = await createChannel(w, 'alice', { type: 'messaging', id: `thr-${++n}`, members: ['alice', 'bob'] });
  const parent = await post(cid, 'alice', { text: 'parent' });
  for (let i = 1; i <= 7; i++) await post(cid, 'bob', { text: `r${i}`, parent_id: parent.id });
  await post(cid, 'bob', { text: 'after' });
  const alice = w.client('alice');
  await alice.connect();
  await alice.whenSynced();
  return { cid, parent, alice };
}

describe('threads', () => {
  it('loads a thread page by page: replies in seq order, reply_count and participants from the server', async () => {
    const { cid, parent, alice } = await setup();
    expect(thread(alice, parent.id).loaded).toBe(false);
    await alice.threads.load(parent.id, { limit: 5 });
    let view = thread(alice, parent.id);
    expect(view.replies.map((m) => m.text)).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
    expect(view.has_more_before).toBe(true);
    expect(view.parent).toMatchObject({ text: 'parent', reply_count: 7 });
    expect(view.parent!.thread_participants).toEqual(['bob']);
    expect(await alice.threads.loadOlder(parent.id, 5)).toBe(false);
    view = thread(alice, parent.id);
    expect(view.replies.map((m) => m.text)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    expect(view.has_more_before).toBe(false);
    const seqs = view.replies.map((m) => m.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    // Loading again changes nothing (each reply once) and the selector keeps its identity.
    await alice.threads.load(parent.id, { limit: 5 });
    expect(texts(alice, parent.id)).toHaveLength(7);
    expect(thread(alice, parent.id)).toBe(thread(alice, parent.id));
    // Thread-only replies are not in the channel.
    expect(selectMessages(alice.store.getSnapshot(), cid).map((m) => m.text)).toEqual(['parent', 'after']);
  });

  it('a reply sent through the outbox shows at once in the thread only, then is confirmed once with the right counts', async () => {
    const { cid, parent, alice } = await setup();
    await alice.threads.load(parent.id);
    const handle = alice.send(cid, { text: 'my reply', parent_id: parent.id });
    const pending = thread(alice, parent.id).replies.at(-1)!;
    expect([pending.text, pending.pending, pending.status]).toEqual(['my reply', true, 'sending']);
    expect(selectMessages(alice.store.getSnapshot(), cid).map((m) => m.text)).toEqual(['parent', 'after']);
    expect((await handle.settled).status).toBe('sent');
    await eventually(() => {
      const view = thread(alice, parent.id);
      expect(view.replies.map((m) => [m.text, m.pending])).toEqual([...[1, 2, 3, 4, 5, 6, 7].map((i) => [`r${i}`, false]), ['my reply', false]]);
      expect(view.parent!.reply_count).toBe(8);
      expect(view.parent!.thread_participants.sort()).toEqual(['alice', 'bob']);
    });
    // The channel's copy of the parent follows too.
    expect(selectMessages(alice.store.getSnapshot(), cid)[0]!.reply_count).toBe(8);
    expect(selectMessages(alice.store.getSnapshot(), cid).map((m) => m.text)).toEqual(['parent', 'after']);

    // show_in_channel: in the thread and in the channel.
    const shown = await alice.send(cid, { text: 'also in channel', parent_id: parent.id, show_in_channel: true }).settled;
    expect(shown.status).toBe('sent');
    await eventually(() => expect(selectMessages(alice.store.getSnapshot(), cid).map((m) => m.text)).toEqual(['parent', 'after', 'also in channel']));
    expect(texts(alice, parent.id).slice(-2)).toEqual(['my reply', 'also in channel']);
  });

  it('live replies, edits and reactions of replies reach an open thread', async () => {
    const { cid, parent, alice } = await setup();
    await alice.threads.load(parent.id);
    const live = await post(cid, 'bob', { text: 'live reply', parent_id: parent.id });
    await eventually(() => expect(texts(alice, parent.id).at(-1)).toBe('live reply'));
    await eventually(() => expect(thread(alice, parent.id).parent!.reply_count).toBe(8));
    const res = await w.t.request('PATCH', `/v1/messages/${live.id}`, { token: w.tokens.bob, body: { text: 'live reply, edited' } });
    expect(res.status).toBe(200);
    await eventually(() => expect(texts(alice, parent.id).at(-1)).toBe('live reply, edited'));
    const reacting = alice.react(live.id, 'like');
    expect(thread(alice, parent.id).replies.at(-1)!.reaction_counts).toEqual({ like: 1 });
    await reacting;
    expect(thread(alice, parent.id).replies.at(-1)!.own_reactions.map((r) => r.type)).toEqual(['like']);
    expect(texts(alice, parent.id)).toHaveLength(8);
  });
});

describe('thread unread', () => {
  it('the parent author sees the thread unread, and marking it read clears it', async () => {
    const { parent, alice } = await setup();
    const mine = async () => (await alice.read.unread()).threads.filter((t) => t.parent_id === parent.id);
    const before = await alice.read.unread();
    expect(before.threads.filter((t) => t.parent_id === parent.id)).toEqual([expect.objectContaining({ cid: parent.cid, unread_replies: 7 })]);
    expect(before.unread_threads).toBe(before.threads.length);
    const { thread: marked } = await alice.read.markThreadRead(parent.id);
    expect(marked.unread_replies).toBe(0);
    expect(await mine()).toEqual([]);
    expect((await alice.read.unread()).unread_threads).toBe(before.unread_threads - 1);
  });
});
