/**
 * Thread unread counts in the store, against the real server: replies of others count live in the
 * threads you take part in (your parent, a thread you replied to, a thread of an old message outside
 * the loaded window), your own replies do not, deletes uncount, marking read shows at once and
 * reaches your other devices (notification.thread_mark_read), and a restart over the same storage
 * shows the stored counts first, then exactly the server's `GET /v1/me/unread`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage, selectThreadUnread, selectUnreadThreads, type ParleyClient, type WireEvent } from '@parley/client';
import { createChannel, eventually, startSdkWorld, type SdkWorld } from './helpers.js';

let w: SdkWorld;
let n = 0;
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob', 'carol']);
});
afterEach(() => w.closeClients());
afterAll(() => w.close());

/** A message written through REST (another app, another device). */
const post = async (cid: string, user: string, body: Record<string, unknown>) => {
  const res = await w.t.request('POST', `/v1/channels/${cid.replace(':', '/')}/messages`, { token: w.tokens[user], body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message;
};
const unreadIn = (c: ParleyClient, parentId: string) => selectThreadUnread(c.store.getSnapshot(), parentId);
/** What the server says (`GET /v1/me/unread`), newest parent first. */
const serverThreads = async (user: string) => {
  const res = await w.t.request('GET', '/v1/me/unread', { token: w.tokens[user] });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { unread_threads: number; threads: Array<{ parent_id: string; cid: string; unread_replies: number; last_read_seq: number }> };
};

async function connected(user: string, options: Parameters<SdkWorld['client']>[1] = {}) {
  const c = w.client(user, options);
  await c.connect();
  await c.whenSynced();
  return c;
}
const channel = () => createChannel(w, 'alice', { type: 'messaging', id: `tu-${++n}`, members: ['alice', 'bob', 'carol'] });

describe('thread unread in the store', () => {
  it("others' replies to your message count live; a deleted unread reply uncounts; other threads do not count", async () => {
    const cid = await channel();
    const alice = await connected('alice');
    const sent = await alice.send(cid, { text: 'who is in for lunch?' }).settled;
    expect(sent.status).toBe('sent');
    const parent = (sent as { message: { id: string } }).message;
    const someoneElses = await post(cid, 'carol', { text: 'carol asks something' });

    await post(cid, 'bob', { text: 'me!', parent_id: parent.id });
    const second = await post(cid, 'bob', { text: 'and Dana', parent_id: parent.id });
    await post(cid, 'bob', { text: 'not your thread', parent_id: someoneElses.id });
    await eventually(() => expect(unreadIn(alice, parent.id)).toBe(2));
    const unread = selectUnreadThreads(alice.store.getSnapshot());
    expect(unread.threads.filter((t) => t.cid === cid)).toEqual([{ parent_id: parent.id, cid, unread_replies: 2, last_read_seq: expect.any(Number) }]);
    expect(unread.count).toBe(unread.threads.length);
    expect(unread.replies).toBe(unread.threads.reduce((sum, t) => sum + t.unread_replies, 0));
    expect(unreadIn(alice, someoneElses.id)).toBe(0);

    const res = await w.t.request('DELETE', `/v1/messages/${second.id}`, { token: w.tokens.bob });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await eventually(() => expect(unreadIn(alice, parent.id)).toBe(1));
    // The store agrees with the server.
    expect((await serverThreads('alice')).threads.find((t) => t.parent_id === parent.id)?.unread_replies).toBe(1);
  });

  it('marking read shows 0 at once; another device of the same user follows through notification.thread_mark_read', async () => {
    const cid = await channel();
    const parent = await post(cid, 'alice', { text: 'plan for friday' });
    const phone = await connected('alice');
    const laptop = await connected('alice');
    const seen: WireEvent[] = [];
    laptop.on('event', (event) => seen.push(event));
    await post(cid, 'bob', { text: 'pizza', parent_id: parent.id });
    await post(cid, 'bob', { text: 'or sushi', parent_id: parent.id });
    await eventually(() => {
      expect(unreadIn(phone, parent.id)).toBe(2);
      expect(unreadIn(laptop, parent.id)).toBe(2);
    });

    const marking = phone.threads.markRead(parent.id);
    expect(unreadIn(phone, parent.id)).toBe(0); // optimistic: before the server answered
    expect(selectUnreadThreads(phone.store.getSnapshot()).threads.map((t) => t.parent_id)).not.toContain(parent.id);
    const { thread } = await marking;
    expect(thread.unread_replies).toBe(0);
    expect(phone.store.getSnapshot().threadUnread[parent.id]).toEqual({ cid, unread_replies: 0, last_read_seq: thread.last_read_seq });

    await eventually(() => expect(unreadIn(laptop, parent.id)).toBe(0));
    expect(seen.some((e) => e.type === 'notification.thread_mark_read' && e.parent_id === parent.id)).toBe(true);
    expect(laptop.store.getSnapshot().threadUnread[parent.id]!.last_read_seq).toBe(thread.last_read_seq);
    expect((await serverThreads('alice')).threads.some((t) => t.parent_id === parent.id)).toBe(false);

    // The next reply counts again on both devices.
    await post(cid, 'bob', { text: 'sushi it is', parent_id: parent.id });
    await eventually(() => expect([unreadIn(phone, parent.id), unreadIn(laptop, parent.id)]).toEqual([1, 1]));
  });

  it("your own replies never count for you; once you replied, others' replies do", async () => {
    const cid = await channel();
    const parent = await post(cid, 'alice', { text: 'release notes?' });
    const bob = await connected('bob');
    expect((await bob.send(cid, { text: 'on it', parent_id: parent.id }).settled).status).toBe('sent');
    expect((await bob.send(cid, { text: 'done', parent_id: parent.id }).settled).status).toBe('sent');
    await eventually(() => expect(bob.store.getSnapshot().threadUnread[parent.id]).toMatchObject({ unread_replies: 0 }));
    expect(selectUnreadThreads(bob.store.getSnapshot()).count).toBe(0);

    await post(cid, 'alice', { text: 'thanks!', parent_id: parent.id });
    await eventually(() => expect(unreadIn(bob, parent.id)).toBe(1));
    // Bob answers: his pointer moves to his reply, nothing is unread.
    expect((await bob.send(cid, { text: 'welcome', parent_id: parent.id }).settled).status).toBe('sent');
    await eventually(() => expect(unreadIn(bob, parent.id)).toBe(0));
    expect((await serverThreads('bob')).threads.some((t) => t.parent_id === parent.id)).toBe(false);
  });

  it('a reply to an old message of yours (outside the loaded messages) counts live', async () => {
    const cid = await channel();
    const old = await post(cid, 'alice', { text: 'an old question' });
    for (let i = 0; i < 35; i++) await post(cid, 'carol', { text: `chatter ${i}` });
    const alice = await connected('alice');
    expect(alice.store.getSnapshot().channels[cid]!.messages.some((m) => m.id === old.id)).toBe(false);
    await post(cid, 'bob', { text: 'a late answer', parent_id: old.id });
    await eventually(() => expect(unreadIn(alice, old.id)).toBe(1));
    await post(cid, 'bob', { text: 'and another', parent_id: old.id });
    await eventually(() => expect(unreadIn(alice, old.id)).toBe(2));
  });

  it('a restart over the same storage shows the stored counts at once, then the server’s', async () => {
    const cid = await channel();
    const storage = new MemoryStorage();
    const a = await post(cid, 'alice', { text: 'thread a' });
    const b = await post(cid, 'alice', { text: 'thread b' });
    const first = await connected('alice', { storage });
    await post(cid, 'bob', { text: 'a1', parent_id: a.id });
    await post(cid, 'bob', { text: 'a2', parent_id: a.id });
    await post(cid, 'bob', { text: 'b1', parent_id: b.id });
    await eventually(() => expect([unreadIn(first, a.id), unreadIn(first, b.id)]).toEqual([2, 1]));
    await first.close();

    // While the app is closed: more replies, a new thread, and thread b read on another device.
    await post(cid, 'bob', { text: 'a3', parent_id: a.id });
    const c = await post(cid, 'alice', { text: 'thread c' });
    await post(cid, 'carol', { text: 'c1', parent_id: c.id });
    const read = await w.t.request('POST', `/v1/messages/${b.id}/thread/read`, { token: w.tokens.alice, body: {} });
    expect(read.status, JSON.stringify(read.body)).toBe(200);

    const second = w.client('alice', { storage });
    await second.connect();
    // Cold start: what the previous instance knew, before the network answered.
    expect([unreadIn(second, a.id), unreadIn(second, b.id)]).toEqual([2, 1]);
    await second.whenSynced();
    const server = await serverThreads('alice');
    const store = selectUnreadThreads(second.store.getSnapshot());
    expect(store.threads).toEqual(server.threads);
    expect(store.count).toBe(server.unread_threads);
    expect([unreadIn(second, a.id), unreadIn(second, b.id), unreadIn(second, c.id)]).toEqual([3, 0, 1]);

    // A cold start on a new device (empty storage) gets the same.
    const fresh = await connected('alice');
    expect(selectUnreadThreads(fresh.store.getSnapshot()).threads).toEqual(server.threads);
  });
});
