/** Thread read state: unread replies per thread one takes part in, in /v1/me/unread, and marking a thread read. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, expectError, sendOk, startWorld, type Channel, type World } from './helpers.js';

let w: World;
let room: Channel;
beforeAll(async () => {
  w = await startWorld(['alice', 'bob', 'carol', 'dave', 'erin']);
  room = await createChannel(w.t, w.tokens.alice!, { type: 'messaging', id: 'threads', members: ['bob', 'carol', 'dave'] });
});
afterAll(() => w.t.close());

const unread = async (user: string) => (await w.t.request('GET', '/v1/me/unread', { token: w.tokens[user] })).body;
const markThread = (user: string, id: string, body: Record<string, unknown> = {}) => w.t.request('POST', `/v1/messages/${id}/thread/read`, { token: w.tokens[user], body });

describe('thread unread', () => {
  it("counts others' replies after one's pointer, for the parent's author and every replier", async () => {
    const parent = await sendOk(w.t, w.tokens.alice!, room, { text: 'plan?' });
    const b1 = await sendOk(w.t, w.tokens.bob!, room, { text: 'b1', parent_id: parent.id });
    await sendOk(w.t, w.tokens.bob!, room, { text: 'b2', parent_id: parent.id });
    const c1 = await sendOk(w.t, w.tokens.carol!, room, { text: 'c1', parent_id: parent.id });

    const forAlice = await unread('alice');
    expect(forAlice.threads).toEqual([{ parent_id: parent.id, cid: room.cid, unread_replies: 3, last_read_seq: parent.seq }]);
    expect(forAlice.unread_threads).toBe(1);
    expect((await unread('bob')).threads).toEqual([{ parent_id: parent.id, cid: room.cid, unread_replies: 1, last_read_seq: expect.any(Number) }]);
    expect((await unread('carol')).threads).toEqual([]);
    // Not taking part: a member who never replied has no thread badge.
    expect((await unread('dave')).threads).toEqual([]);

    // Marking read: up to a reply, then all; the pointer never moves back.
    const partly = await markThread('alice', parent.id, { seq: b1.seq });
    expect(partly.status, JSON.stringify(partly.body)).toBe(200);
    expect(partly.body.thread).toMatchObject({ parent_id: parent.id, cid: room.cid, last_read_seq: b1.seq, unread_replies: 2 });
    expect((await markThread('alice', parent.id)).body.thread).toMatchObject({ last_read_seq: c1.seq, unread_replies: 0 });
    expect((await markThread('alice', parent.id, { seq: b1.seq })).body.thread.last_read_seq).toBe(c1.seq);
    expect((await unread('alice')).threads).toEqual([]);
    expect((await unread('alice')).unread_threads).toBe(0);

    // A reply taken back is no longer unread.
    expect((await w.t.request('DELETE', `/v1/messages/${c1.id}`, { token: w.tokens.carol })).status).toBe(200);
    expect((await unread('bob')).threads).toEqual([]);
  });

  it('a thread one only reads can be marked too; replies, non-members and other apps are refused', async () => {
    const parent = await sendOk(w.t, w.tokens.alice!, room, { text: 'another' });
    const reply = await sendOk(w.t, w.tokens.bob!, room, { text: 'r', parent_id: parent.id });
    expect((await markThread('dave', parent.id)).body.thread).toMatchObject({ last_read_seq: reply.seq, unread_replies: 0 });
    expectError(await markThread('bob', reply.id), 400, 'VALIDATION_ERROR');
    expectError(await markThread('erin', parent.id), 404, 'NOT_FOUND');
    expectError(await markThread('alice', parent.id, { seq: -1 }), 400, 'VALIDATION_ERROR');
    expectError(await markThread('alice', parent.id, { parent_id: parent.id }), 400, 'VALIDATION_ERROR');
  });
});
