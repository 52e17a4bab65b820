/** Pins (with expiry), stars and mentions lists, blocks, frozen channels, rate limits and slow mode. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, expectError, makeApp, putType, send, sendOk, sleep, startWorld, type Channel, type World } from './helpers.js';

let w: World;
let alice: string, bob: string, carol: string, dave: string;
let room: Channel;

beforeAll(async () => {
  w = await startWorld(['alice', 'bob', 'carol', 'dave']);
  ({ alice, bob, carol, dave } = w.tokens as Record<string, string>);
  room = await createChannel(w.t, alice, { type: 'messaging', id: 'room', members: ['bob', 'carol'] });
});
afterAll(() => w.t.close());

const ids = (messages: any[]) => messages.map((m) => m.id);
const pinnedIn = async (channel: Channel, token: string) => ids((await w.t.request('GET', channel.path, { token })).body.pinned_messages);
const message = async (token: string, id: string) => (await w.t.request('GET', `/v1/messages/${id}`, { token })).body.message;

describe('pins', () => {
  it('pins and unpins, lists pins in channel state, drops expired pins', async () => {
    const pins = await createChannel(w.t, alice, { type: 'messaging', id: 'pins', members: ['bob'] });
    const first = await sendOk(w.t, bob, pins, { text: 'pin me' });
    const second = await sendOk(w.t, alice, pins, { text: 'pin me for an hour' });

    const pinned = await w.t.request('POST', `/v1/messages/${first.id}/pin`, { token: alice, body: {} });
    expect(pinned.status, JSON.stringify(pinned.body)).toBe(200);
    expect(pinned.body.message).toMatchObject({ pinned: true, pinned_by: 'alice', pin_expires: null });
    expect(pinned.body.message.pinned_at).not.toBeNull();
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const timed = await w.t.request('POST', `/v1/messages/${second.id}/pin`, { token: bob, body: { expires_at: until } });
    expect(timed.status, JSON.stringify(timed.body)).toBe(200);
    expect(timed.body.message).toMatchObject({ pinned: true, pinned_by: 'bob', pin_expires: until });
    expect(await pinnedIn(pins, bob)).toEqual([second.id, first.id]);

    const past = await w.t.request('POST', `/v1/messages/${first.id}/pin`, { token: alice, body: { expires_at: new Date(Date.now() - 1000).toISOString() } });
    expectError(past, 400, 'VALIDATION_ERROR');
    expectError(await w.t.request('POST', `/v1/messages/${first.id}/pin`, { token: dave, body: {} }), 404, 'NOT_FOUND');

    // The hour passes.
    await w.db.query("update messages set pin_expires_at = now() - interval '1 second' where id = $1", [second.id]);
    expect((await message(bob, second.id)).pinned).toBe(false);
    expect(await pinnedIn(pins, bob)).toEqual([first.id]);

    const unpinned = await w.t.request('DELETE', `/v1/messages/${first.id}/pin`, { token: bob });
    expect(unpinned.status).toBe(200);
    expect(unpinned.body.message).toMatchObject({ pinned: false, pinned_at: null });
    expect((await message(alice, first.id)).pinned).toBe(false);
    expect(await pinnedIn(pins, alice)).toEqual([]);

    // A deleted message leaves the pinned list.
    await w.t.request('POST', `/v1/messages/${second.id}/pin`, { token: alice, body: {} });
    expect(await pinnedIn(pins, alice)).toEqual([second.id]);
    await w.t.request('DELETE', `/v1/messages/${second.id}`, { token: alice });
    expect(await pinnedIn(pins, alice)).toEqual([]);
  });
});

describe('stars and mentions', () => {
  it('stars are per user, newest first, paged', async () => {
    const [a, b, c] = [await sendOk(w.t, alice, room, { text: 'a' }), await sendOk(w.t, alice, room, { text: 'b' }), await sendOk(w.t, alice, room, { text: 'c' })];
    for (const m of [a, b, c]) {
      const res = await w.t.request('PUT', `/v1/messages/${m.id}/star`, { token: bob });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    const starred = await w.t.request('GET', '/v1/me/starred', { token: bob });
    expect(ids(starred.body.messages)).toEqual([c.id, b.id, a.id]);
    const page1 = await w.t.request('GET', '/v1/me/starred?limit=2', { token: bob });
    expect(ids(page1.body.messages)).toEqual([c.id, b.id]);
    expect(page1.body.next).toEqual(expect.any(String));
    const page2 = await w.t.request('GET', `/v1/me/starred?limit=2&cursor=${encodeURIComponent(page1.body.next)}`, { token: bob });
    expect(ids(page2.body.messages)).toEqual([a.id]);
    expect(page2.body.next).toBeNull();

    expect((await w.t.request('GET', '/v1/me/starred', { token: alice })).body.messages).toEqual([]);
    expect((await w.t.request('GET', '/v1/me/starred', { token: carol })).body.messages).toEqual([]);
    expectError(await w.t.request('PUT', `/v1/messages/${a.id}/star`, { token: dave }), 404, 'NOT_FOUND');

    expect((await w.t.request('DELETE', `/v1/messages/${b.id}/star`, { token: bob })).status).toBe(200);
    expect(ids((await w.t.request('GET', '/v1/me/starred', { token: bob })).body.messages)).toEqual([c.id, a.id]);
    await w.t.request('PUT', `/v1/messages/${a.id}/star`, { token: bob });
    expect(ids((await w.t.request('GET', '/v1/me/starred', { token: bob })).body.messages)).toEqual([a.id, c.id]);
    await w.t.request('DELETE', `/v1/messages/${c.id}`, { token: alice });
    expect(ids((await w.t.request('GET', '/v1/me/starred', { token: bob })).body.messages)).toEqual([a.id]);
  });

  it('lists mentions newest first, paged; starring one does not reorder them', async () => {
    const talk = await createChannel(w.t, alice, { type: 'messaging', id: 'mentions', members: ['bob', 'carol'] });
    const m1 = await sendOk(w.t, alice, talk, { text: '@bob one' });
    const m2 = await sendOk(w.t, carol, talk, { text: 'two, @bob!' });
    await sendOk(w.t, alice, talk, { text: 'no mention of bob' });
    const m4 = await sendOk(w.t, alice, talk, { text: 'four', mentioned_user_ids: ['bob'] });
    const mentions = async (query = '') => (await w.t.request('GET', `/v1/me/mentions${query}`, { token: bob })).body;
    expect(ids((await mentions()).messages)).toEqual([m4.id, m2.id, m1.id]);
    await w.t.request('PUT', `/v1/messages/${m1.id}/star`, { token: bob });
    expect(ids((await mentions()).messages)).toEqual([m4.id, m2.id, m1.id]);
    const first = await mentions('?limit=2');
    expect(ids(first.messages)).toEqual([m4.id, m2.id]);
    const rest = await mentions(`?limit=2&cursor=${encodeURIComponent(first.next)}`);
    expect(ids(rest.messages)).toEqual([m1.id]);
    expect(rest.next).toBeNull();
    expect(ids((await w.t.request('GET', '/v1/me/mentions', { token: carol })).body.messages)).not.toContain(m4.id);
  });
});

describe('blocks', () => {
  it('blocks DMs in both directions until unblocked; non-distinct groups are unaffected', async () => {
    const dm = await createChannel(w.t, alice, { type: 'messaging', members: ['bob'] });
    const groupDm = await createChannel(w.t, alice, { type: 'messaging', members: ['bob', 'carol'] });
    const team = await createChannel(w.t, alice, { type: 'messaging', id: 'block-team', members: ['bob', 'carol'] });
    await sendOk(w.t, alice, dm, { text: 'hi bob' });

    const blocked = await w.t.request('POST', '/v1/me/blocks/bob', { token: alice });
    expect(blocked.status, JSON.stringify(blocked.body)).toBe(200);
    expect(blocked.body.blocks.map((b: any) => b.user_id)).toEqual(['bob']);
    expect((await w.t.request('GET', '/v1/me', { token: alice })).body.blocks.map((b: any) => b.user_id)).toEqual(['bob']);
    expect((await w.t.request('GET', '/v1/me', { token: bob })).body.blocks).toEqual([]);

    expectError(await send(w.t, alice, dm, { text: 'still there?' }), 403, 'USER_BLOCKED');
    expectError(await send(w.t, bob, dm, { text: 'why?' }), 403, 'USER_BLOCKED');
    expectError(await send(w.t, bob, groupDm, { text: 'group dm' }), 403, 'USER_BLOCKED');
    await sendOk(w.t, carol, groupDm, { text: 'carol is not blocked' });
    await sendOk(w.t, alice, team, { text: 'team talk' });
    await sendOk(w.t, bob, team, { text: 'team talk back' });
    const dmMessages = await w.t.request('GET', `${dm.path}/messages`, { token: bob });
    expect(dmMessages.body.messages.map((m: any) => m.text)).toEqual(['hi bob']);

    expectError(await w.t.request('POST', '/v1/me/blocks/alice', { token: alice }), 400, 'VALIDATION_ERROR');
    expectError(await w.t.request('POST', '/v1/me/blocks/nobody', { token: alice }), 404, 'NOT_FOUND');

    const unblocked = await w.t.request('DELETE', '/v1/me/blocks/bob', { token: alice });
    expect(unblocked.status).toBe(200);
    expect(unblocked.body.blocks).toEqual([]);
    expectError(await w.t.request('DELETE', '/v1/me/blocks/bob', { token: alice }), 404, 'NOT_FOUND');
    await sendOk(w.t, alice, dm, { text: 'friends again' });
    await sendOk(w.t, bob, dm, { text: 'yes' });

    // The other direction: bob blocks alice.
    await w.t.request('POST', '/v1/me/blocks/alice', { token: bob });
    expectError(await send(w.t, alice, dm, { text: 'hello?' }), 403, 'USER_BLOCKED');
    await w.t.request('DELETE', '/v1/me/blocks/alice', { token: bob });
    await sendOk(w.t, alice, dm, { text: 'hello again' });
  });
});

describe('frozen channels', () => {
  it("stops members' writes while moderators keep posting", async () => {
    const frozen = await createChannel(w.t, alice, { type: 'messaging', id: 'frozen', members: ['bob', 'carol'] });
    const promote = await w.t.request('PATCH', `${frozen.path}/members/carol`, { token: alice, body: { role: 'moderator' } });
    expect(promote.status, JSON.stringify(promote.body)).toBe(200);
    const old = await sendOk(w.t, bob, frozen, { text: 'before the freeze' });
    expect((await w.t.request('POST', `/v1/messages/${old.id}/reactions`, { token: bob, body: { type: 'wave' } })).status).toBe(200);

    expectError(await w.t.request('PATCH', frozen.path, { token: bob, body: { set: { frozen: true } } }), 403, 'PERMISSION_DENIED');
    const freeze = await w.t.request('PATCH', frozen.path, { token: alice, body: { set: { frozen: true } } });
    expect(freeze.status, JSON.stringify(freeze.body)).toBe(200);
    expect(freeze.body.channel.frozen).toBe(true);

    expectError(await send(w.t, bob, frozen, { text: 'let me in' }), 403, 'CHANNEL_FROZEN');
    expectError(await send(w.t, bob, frozen, { text: 'reply', parent_id: old.id }), 403, 'CHANNEL_FROZEN');
    expectError(await w.t.request('PATCH', `/v1/messages/${old.id}`, { token: bob, body: { text: 'edited' } }), 403, 'CHANNEL_FROZEN');
    expectError(await w.t.request('POST', `/v1/messages/${old.id}/reactions`, { token: bob, body: { type: 'like' } }), 403, 'CHANNEL_FROZEN');
    expectError(await w.t.request('DELETE', `/v1/messages/${old.id}/reactions/wave`, { token: bob }), 403, 'CHANNEL_FROZEN');
    expect((await message(bob, old.id)).reaction_counts).toEqual({ wave: 1 });
    await sendOk(w.t, carol, frozen, { text: 'moderator speaking' });
    await sendOk(w.t, alice, frozen, { text: 'owner speaking' });

    const thaw = await w.t.request('PATCH', frozen.path, { token: w.app.serverToken, body: { set: { frozen: false } } });
    expect(thaw.status).toBe(200);
    await sendOk(w.t, bob, frozen, { text: 'thawed' });
    const texts = (await w.t.request('GET', `${frozen.path}/messages`, { token: bob })).body.messages.map((m: any) => m.text);
    expect(texts).toEqual(['before the freeze', 'moderator speaking', 'owner speaking', 'thawed']);
  });
});

describe('limits', () => {
  it('messages_per_minute_per_user answers 429 RATE_LIMITED with retry_after', async () => {
    const limited = await makeApp(w.t, ['rl', 'other'], { messages_per_minute_per_user: 3, requests_per_second_per_user: 100_000 });
    const rl = limited.tokens.rl!;
    const channel = await createChannel(w.t, rl, { type: 'messaging', id: 'limited', members: ['other'] });
    // The limit counts per minute window: stay clear of a window boundary.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await sleep(60_500 - intoMinute);
    for (let i = 0; i < 3; i++) await sendOk(w.t, rl, channel, { text: `m${i}` });
    const over = await send(w.t, rl, channel, { text: 'one too many' });
    expectError(over, 429, 'RATE_LIMITED');
    expect(over.body.error.retry_after).toBeGreaterThanOrEqual(1);
    expect(over.body.error.retry_after).toBeLessThanOrEqual(60);
    expect(over.headers['retry-after']).toBe(String(over.body.error.retry_after));
    // Per user: someone else in the same app still sends.
    await sendOk(w.t, limited.tokens.other!, channel, { text: 'not limited' });
    const texts = (await w.t.request('GET', `${channel.path}/messages`, { token: rl })).body.messages.map((m: any) => m.text);
    expect(texts).toEqual(['m0', 'm1', 'm2', 'not limited']);
  }, 90_000);

  it('slow mode answers 429 SLOW_MODE with retry_after; moderators are exempt', async () => {
    await putType(w.t, w.app, 'slow', { slow_mode_seconds: 30 });
    const slow = await createChannel(w.t, alice, { type: 'slow', id: 'slow', members: ['bob', 'carol'] });
    await w.t.request('PATCH', `${slow.path}/members/carol`, { token: alice, body: { role: 'moderator' } });

    const first = await sendOk(w.t, bob, slow, { text: 'first' });
    const second = await send(w.t, bob, slow, { text: 'second' });
    expectError(second, 429, 'SLOW_MODE');
    expect(second.body.error.retry_after).toBeGreaterThanOrEqual(1);
    expect(second.body.error.retry_after).toBeLessThanOrEqual(30);
    expect(second.headers['retry-after']).toBe(String(second.body.error.retry_after));
    for (const token of [carol, carol, alice, alice]) await sendOk(w.t, token, slow, { text: 'moderating' });

    // 30 seconds later bob may speak again.
    await w.db.query("update messages set created_at = created_at - interval '31 seconds' where id = $1", [first.id]);
    await sendOk(w.t, bob, slow, { text: 'second, later' });
  });
});
