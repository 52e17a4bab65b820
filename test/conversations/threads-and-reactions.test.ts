/** Threads (replies, show_in_channel, paging), quoted replies, and reactions (exact under concurrency). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, expectError, send, sendOk, startWorld, type Channel, type World } from './helpers.js';

let w: World;
let alice: string, bob: string, carol: string, dave: string;

beforeAll(async () => {
  w = await startWorld(['alice', 'bob', 'carol', 'dave']);
  ({ alice, bob, carol, dave } = w.tokens as Record<string, string>);
});
afterAll(() => w.t.close());

const ids = (messages: any[]) => messages.map((m) => m.id);
const getMessage = async (token: string, id: string) => {
  const res = await w.t.request('GET', `/v1/messages/${id}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.message;
};

describe('threads', () => {
  let room: Channel;
  let parent: any;
  let replies: any[];
  beforeAll(async () => {
    room = await createChannel(w.t, alice, { type: 'messaging', id: 'threads', members: ['bob', 'carol'] });
    parent = await sendOk(w.t, alice, room, { text: 'what do we ship?' });
    replies = [
      await sendOk(w.t, bob, room, { text: 'the parser', parent_id: parent.id }),
      await sendOk(w.t, carol, room, { text: 'the docs', parent_id: parent.id, show_in_channel: true }),
      await sendOk(w.t, bob, room, { text: 'both', parent_id: parent.id, show_in_channel: false }),
    ];
  });

  it('replies update the parent: reply_count, thread_participants, last_reply_at', async () => {
    expect(replies.map((r) => [r.type, r.parent_id, r.show_in_channel])).toEqual([
      ['reply', parent.id, false],
      ['reply', parent.id, true],
      ['reply', parent.id, false],
    ]);
    const now = await getMessage(carol, parent.id);
    expect(now.reply_count).toBe(3);
    expect(now.thread_participants).toEqual(['bob', 'carol']);
    expect(now.last_reply_at).toBe(replies[2].created_at);
    expect(now.type).toBe('regular');
  });

  it('thread-only replies stay out of the channel; shown replies appear in both', async () => {
    const list = await w.t.request('GET', `${room.path}/messages`, { token: bob });
    expect(ids(list.body.messages)).toEqual([parent.id, replies[1].id]);
    const state = await w.t.request('GET', room.path, { token: bob });
    expect(ids(state.body.messages)).toEqual([parent.id, replies[1].id]);
    const thread = await w.t.request('GET', `/v1/messages/${parent.id}/replies`, { token: bob });
    expect(thread.status).toBe(200);
    expect(ids(thread.body.messages)).toEqual(ids(replies));
    expect(thread.body).toMatchObject({ has_more_before: false, has_more_after: false });
    expectError(await w.t.request('GET', `/v1/messages/${parent.id}/replies`, { token: dave }), 404, 'NOT_FOUND');
  });

  it('pages replies like messages', async () => {
    const topic = await sendOk(w.t, alice, room, { text: 'long thread' });
    const sent: any[] = [];
    for (let i = 0; i < 9; i++) sent.push(await sendOk(w.t, i % 2 ? bob : carol, room, { text: `r${i}`, parent_id: topic.id }));
    const latest = await w.t.request('GET', `/v1/messages/${topic.id}/replies?limit=4`, { token: alice });
    expect(ids(latest.body.messages)).toEqual(ids(sent.slice(5)));
    expect(latest.body).toMatchObject({ has_more_before: true, has_more_after: false });
    const older = await w.t.request('GET', `/v1/messages/${topic.id}/replies?limit=4&before_seq=${sent[5].seq}`, { token: alice });
    expect(ids(older.body.messages)).toEqual(ids(sent.slice(1, 5)));
    expect(older.body).toMatchObject({ has_more_before: true, has_more_after: true });
    const oldest = await w.t.request('GET', `/v1/messages/${topic.id}/replies?limit=4&before_seq=${sent[1].seq}`, { token: alice });
    expect(ids(oldest.body.messages)).toEqual([sent[0].id]);
    expect(oldest.body.has_more_before).toBe(false);
    const forward = await w.t.request('GET', `/v1/messages/${topic.id}/replies?limit=4&after_seq=${sent[3].seq}`, { token: alice });
    expect(ids(forward.body.messages)).toEqual(ids(sent.slice(4, 8)));
    expect(forward.body).toMatchObject({ has_more_before: true, has_more_after: true });
  });

  it('deleting a reply takes it off the count once (soft then hard), and watchers are told', async () => {
    const topic = await sendOk(w.t, alice, room, { text: 'count me' });
    const first = await sendOk(w.t, bob, room, { text: 'one', parent_id: topic.id });
    await sendOk(w.t, carol, room, { text: 'two', parent_id: topic.id });
    const since = (await w.t.request('POST', '/v1/sync', { token: alice, body: {} })).body.cursor;
    expect((await w.t.request('DELETE', `/v1/messages/${first.id}`, { token: bob })).status).toBe(200);
    expect((await getMessage(alice, topic.id)).reply_count).toBe(1);
    const events = (await w.t.request('POST', '/v1/sync', { token: alice, body: { since } })).body.events;
    expect(events.map((e: any) => [e.type, e.message.id])).toEqual([['message.deleted', first.id], ['message.updated', topic.id]]);
    expect(events[1].message.reply_count).toBe(1);
    // Hard-deleting the tombstone later does not count it off again.
    expect((await w.t.request('DELETE', `/v1/messages/${first.id}?hard=true`, { token: w.app.serverToken })).status).toBe(200);
    expect((await getMessage(alice, topic.id)).reply_count).toBe(1);
  });

  it('rejects replies to replies and to messages of other channels', async () => {
    expectError(await send(w.t, alice, room, { text: 'nested', parent_id: replies[0].id }), 400, 'VALIDATION_ERROR');
    const elsewhere = await createChannel(w.t, alice, { type: 'messaging', id: 'elsewhere', members: ['bob'] });
    const foreign = await sendOk(w.t, alice, elsewhere, { text: 'over here' });
    expectError(await send(w.t, alice, room, { text: 'cross', parent_id: foreign.id }), 400, 'VALIDATION_ERROR');
    expectError(await send(w.t, alice, room, { text: 'ghost', parent_id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' }), 400, 'VALIDATION_ERROR');
    expect((await getMessage(alice, parent.id)).reply_count).toBe(3);
  });
});

describe('quoted replies', () => {
  it('carry the quoted message, and show it as deleted once it is', async () => {
    const room = await createChannel(w.t, alice, { type: 'messaging', id: 'quotes', members: ['bob'] });
    const cursor = (await w.t.request('POST', '/v1/sync', { token: bob, body: {} })).body.cursor;
    const original = await sendOk(w.t, alice, room, { text: 'the **original** words' });
    const quoting = await sendOk(w.t, bob, room, { text: 'quoting you', quoted_message_id: original.id });
    expect(quoting.quoted_message_id).toBe(original.id);
    expect(quoting.quoted_message).toMatchObject({ id: original.id, type: 'regular', text: 'the **original** words', html: '<p>the <strong>original</strong> words</p>', user: { id: 'alice' } });

    expect((await w.t.request('DELETE', `/v1/messages/${original.id}`, { token: alice })).status).toBe(200);
    const after = await getMessage(bob, quoting.id);
    expect(after.text).toBe('quoting you');
    expect(after.quoted_message).toMatchObject({ id: original.id, type: 'deleted', text: '', html: '', attachments: [] });
    expect(after.quoted_message.deleted_at).not.toBeNull();
    const list = await w.t.request('GET', `${room.path}/messages`, { token: bob });
    expect(list.body.messages.find((m: any) => m.id === quoting.id).quoted_message.type).toBe('deleted');
    // Events logged before the deletion no longer carry the quoted words either.
    const sync = await w.t.request('POST', '/v1/sync', { token: bob, body: { since: cursor } });
    expect(sync.body.events.some((e: any) => e.message?.id === quoting.id)).toBe(true);
    expect(JSON.stringify(sync.body)).not.toContain('original');

    const elsewhere = await createChannel(w.t, alice, { type: 'messaging', id: 'quotes-elsewhere', members: ['carol'] });
    const foreign = await sendOk(w.t, alice, elsewhere, { text: 'private to carol' });
    expectError(await send(w.t, alice, room, { text: 'leak', quoted_message_id: foreign.id }), 400, 'VALIDATION_ERROR');
  });
});

describe('reactions', () => {
  let room: Channel;
  beforeAll(async () => {
    room = await createChannel(w.t, alice, { type: 'messaging', id: 'reactions', members: ['bob', 'carol'] });
  });
  const react = (token: string, id: string, body: Record<string, unknown>) => w.t.request('POST', `/v1/messages/${id}/reactions`, { token, body });

  it('counts, scores, latest and viewer-specific own reactions', async () => {
    const m = await sendOk(w.t, alice, room, { text: 'react to me' });
    const first = await react(bob, m.id, { type: 'like' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.reaction).toMatchObject({ type: 'like', user_id: 'bob', score: 1 });
    expect(first.body.message.reaction_counts).toEqual({ like: 1 });
    expect(first.body.message.own_reactions.map((r: any) => [r.user_id, r.type])).toEqual([['bob', 'like']]);
    expect((await react(alice, m.id, { type: 'like', score: 5 })).status).toBe(200);
    expect((await react(carol, m.id, { type: '🎉' })).status).toBe(200);

    const asBob = await getMessage(bob, m.id);
    expect(asBob.reaction_counts).toEqual({ like: 2, '🎉': 1 });
    expect(asBob.reaction_scores).toEqual({ like: 6, '🎉': 1 });
    expect(asBob.latest_reactions.map((r: any) => [r.user_id, r.type])).toEqual([['carol', '🎉'], ['alice', 'like'], ['bob', 'like']]);
    expect(asBob.own_reactions.map((r: any) => [r.user_id, r.type, r.score])).toEqual([['bob', 'like', 1]]);
    const asAlice = await getMessage(alice, m.id);
    expect(asAlice.own_reactions.map((r: any) => [r.user_id, r.type, r.score])).toEqual([['alice', 'like', 5]]);
    const asCarol = await w.t.request('GET', `${room.path}/messages`, { token: carol });
    expect(asCarol.body.messages.find((x: any) => x.id === m.id).own_reactions.map((r: any) => r.type)).toEqual(['🎉']);

    // enforce_unique replaces bob's other reactions; reacting again updates the score.
    const unique = await react(bob, m.id, { type: 'love', enforce_unique: true });
    expect(unique.body.message.reaction_counts).toEqual({ like: 1, love: 1, '🎉': 1 });
    expect(unique.body.message.own_reactions.map((r: any) => r.type)).toEqual(['love']);
    const rescored = await react(bob, m.id, { type: 'love', score: 3 });
    expect(rescored.body.message.reaction_counts).toEqual({ like: 1, love: 1, '🎉': 1 });
    expect(rescored.body.message.reaction_scores).toEqual({ like: 5, love: 3, '🎉': 1 });

    const removed = await w.t.request('DELETE', `/v1/messages/${m.id}/reactions/love`, { token: bob });
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body.message.reaction_counts).toEqual({ like: 1, '🎉': 1 });
    expect(removed.body.message.own_reactions).toEqual([]);
    expectError(await w.t.request('DELETE', `/v1/messages/${m.id}/reactions/love`, { token: bob }), 404, 'NOT_FOUND');
    // Only one's own reaction goes: bob removing "like" does not touch alice's.
    expectError(await w.t.request('DELETE', `/v1/messages/${m.id}/reactions/like`, { token: bob }), 404, 'NOT_FOUND');
    const emoji = await w.t.request('DELETE', `/v1/messages/${m.id}/reactions/${encodeURIComponent('🎉')}`, { token: carol });
    expect(emoji.status).toBe(200);
    expect((await getMessage(carol, m.id)).reaction_counts).toEqual({ like: 1 });

    expectError(await react(dave, m.id, { type: 'like' }), 404, 'NOT_FOUND');
    expectError(await react(bob, m.id, { type: 'two words' }), 400, 'VALIDATION_ERROR');
    expectError(await react(bob, m.id, { type: 'x'.repeat(33) }), 400, 'VALIDATION_ERROR');
  });

  it('stays exact with 100 users reacting at once, and pages the reaction list', async () => {
    const users = Array.from({ length: 100 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    await w.app.upsertUsers(users.map((id) => ({ id, name: id })));
    const tokens = await Promise.all(users.map((id) => w.app.token(id)));
    const crowd = await createChannel(w.t, w.app.serverToken, { type: 'team', id: 'crowd', members: users });
    const m = await sendOk(w.t, tokens[0]!, crowd, { text: 'everyone react' });

    const results = await Promise.all(tokens.map((token) => react(token, m.id, { type: 'like' })));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    const counted = await getMessage(tokens[42]!, m.id);
    expect(counted.reaction_counts).toEqual({ like: 100 });
    expect(counted.reaction_scores).toEqual({ like: 100 });
    expect(counted.latest_reactions).toHaveLength(10);
    expect(counted.own_reactions.map((r: any) => r.user_id)).toEqual(['r42']);

    // Everyone switches to "love" at once with enforce_unique.
    const switched = await Promise.all(tokens.map((token) => react(token, m.id, { type: 'love', enforce_unique: true })));
    expect(switched.every((r) => r.status === 200)).toBe(true);
    expect((await getMessage(tokens[7]!, m.id)).reaction_counts).toEqual({ love: 100 });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/messages/${m.id}/reactions?limit=30${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await w.t.request('GET', url, { token: tokens[0]! });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.reactions.length).toBeLessThanOrEqual(30);
      seen.push(...page.body.reactions.map((r: any) => `${r.user_id}/${r.type}`));
      cursor = page.body.next;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(100);
    expect([...seen].sort()).toEqual(users.map((u) => `${u}/love`));

    // Every reaction took its own seq: the channel's counter matches its event log.
    const check = await w.db.query(
      `select c.last_seq, (select count(*)::int from events e where e.app_id = c.app_id and e.type = c.type and e.channel_id = c.id) as events,
              (select count(distinct seq)::int from events e where e.app_id = c.app_id and e.type = c.type and e.channel_id = c.id) as seqs
       from channels c where c.app_id = $1 and c.type = 'team' and c.id = 'crowd'`,
      [w.app.appId],
    );
    expect(check.rows[0]).toEqual({ last_seq: 202, events: 202, seqs: 202 });
  });
});
