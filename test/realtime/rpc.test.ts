/**
 * RPC over the socket with the real `centrifuge` client: the REST writes (send_message, typing,
 * mark_read, mark_delivered, react) with the connection's user, REST's answers and error bodies.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Centrifuge } from 'centrifuge';
import { createChannel, makeApp, type Channel } from '../conversations/helpers.js';
import { client, collect, connected, eventually, startRealtimeServer, stopAll, type RealtimeServer } from './helpers.js';

let s: RealtimeServer;
let tokens: Record<string, string>;
let channel: Channel;

beforeAll(async () => {
  s = await startRealtimeServer();
  ({ tokens } = await makeApp(s.t, ['alice', 'bob', 'mallory']));
  channel = await createChannel(s.t, tokens.alice!, { type: 'messaging', id: 'rpc-room', members: ['bob'] });
});
afterEach(() => stopAll());
afterAll(() => s.t.close());

async function as(user: string): Promise<Centrifuge> {
  const c = client(s.url, { token: tokens[user] });
  c.connect();
  await connected(c);
  return c;
}

/** The API error body carried in an rpc error's message. */
function body(error: any) {
  return JSON.parse(error.message);
}

describe('send_message', () => {
  it('sends like REST and is idempotent by client_msg_id', async () => {
    const c = await as('bob');
    const first = await c.rpc('send_message', { cid: channel.cid, text: 'over the socket', client_msg_id: 'rpc-1' });
    expect(first.data.message).toMatchObject({ cid: channel.cid, text: 'over the socket', user: { id: 'bob' }, client_msg_id: 'rpc-1' });
    const again = await c.rpc('send_message', { cid: channel.cid, text: 'over the socket', client_msg_id: 'rpc-1' });
    expect(again.data.message).toEqual(first.data.message);
    const page = await s.t.request('GET', `${channel.path}/messages`, { token: tokens.alice });
    expect(page.body.messages.filter((m: any) => m.client_msg_id === 'rpc-1')).toHaveLength(1);
    // The same as REST returns for the message.
    const rest = await s.t.request('GET', `/v1/messages/${first.data.message.id}`, { token: tokens.bob });
    expect(first.data.message).toEqual(rest.body.message);
    // Same key, different body: REST's 409.
    const reused = await c.rpc('send_message', { cid: channel.cid, text: 'something else', client_msg_id: 'rpc-1' }).catch((e) => e);
    expect(reused.code).toBe(409);
    expect(body(reused)).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
  });

  it('watchers get the message as a publication', async () => {
    const alice = await as('alice');
    const sub = alice.newSubscription(`chat:${channel.cid}`);
    const seen = collect(sub);
    sub.subscribe();
    await eventually(() => expect(sub.state).toBe('subscribed'));
    const bob = await as('bob');
    const sent = await bob.rpc('send_message', { cid: channel.cid, text: 'live' });
    await eventually(() => expect(seen.map((e) => e.message?.id)).toContain(sent.data.message.id));
  });

  it('errors carry the REST status as code and the API error body as message', async () => {
    const c = await as('bob');
    const empty = await c.rpc('send_message', { cid: channel.cid, text: '   ' }).catch((e) => e);
    expect(empty).toMatchObject({ code: 400 });
    expect(body(empty)).toEqual({ error: { code: 'EMPTY_MESSAGE', message: expect.any(String) } });
    const unknownField = await c.rpc('send_message', { cid: channel.cid, text: 'x', seq: 99 }).catch((e) => e);
    expect(body(unknownField)).toMatchObject({ error: { code: 'VALIDATION_ERROR', details: { field: 'seq' } } });
    const badCid = await c.rpc('send_message', { cid: 'no-colon', text: 'x' }).catch((e) => e);
    expect(body(badCid)).toMatchObject({ error: { code: 'VALIDATION_ERROR', details: { field: 'cid' } } });
    const stranger = await (await as('mallory')).rpc('send_message', { cid: channel.cid, text: 'let me in' }).catch((e) => e);
    expect(stranger.code).toBe(404);
    expect(body(stranger)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});

describe('the other methods', () => {
  it('typing, mark_read, mark_delivered and react answer like REST', async () => {
    const alice = await as('alice');
    const sub = alice.newSubscription(`chat:${channel.cid}`);
    const seen = collect(sub);
    sub.subscribe();
    await eventually(() => expect(sub.state).toBe('subscribed'));
    const bob = await as('bob');
    const sent = (await alice.rpc('send_message', { cid: channel.cid, text: 'react to me' })).data.message;

    expect((await bob.rpc('typing', { cid: channel.cid, state: 'start' })).data).toEqual({ ok: true });
    const read = (await bob.rpc('mark_read', { cid: channel.cid })).data;
    expect(read).toMatchObject({ read: { user_id: 'bob', last_read_seq: expect.any(Number) }, unread_count: 0, unread_mentions: 0 });
    const delivered = (await bob.rpc('mark_delivered', { cid: channel.cid, seq: sent.seq })).data;
    expect(delivered.read.last_delivered_seq).toBeGreaterThanOrEqual(sent.seq);
    const reacted = (await bob.rpc('react', { message_id: sent.id, type: 'like' })).data;
    expect(reacted.message.reaction_counts).toEqual({ like: 1 });
    expect(reacted.reaction).toMatchObject({ type: 'like', user_id: 'bob' });

    await eventually(() => expect(seen.map((e) => e.type)).toEqual(expect.arrayContaining(['message.new', 'typing.start', 'message.read', 'reaction.new'])));
    const typing = seen.find((e) => e.type === 'typing.start')!;
    expect(typing).toMatchObject({ user: { id: 'bob' }, cid: channel.cid });
    expect(typing.__offset).toBeUndefined();
  });

  it('an unknown method is error 108', async () => {
    const c = await as('bob');
    await expect(c.rpc('delete_everything', {})).rejects.toMatchObject({ code: 108 });
    await expect(c.rpc('toString', {})).rejects.toMatchObject({ code: 108 });
  });
});
