/** Channel bans over REST: hard bans keep a user out; shadow bans hide what they send from everyone else. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ch, expectError, SERVER, sleep, startWorld, texts, type Api, type World } from './channel-helpers.js';

let w: World;
let api: Api;
beforeAll(async () => {
  w = await startWorld({ owner: 'Owner', mod: 'Mod', member: 'Member', other: 'Other', troll: 'Troll', admin: 'Admin', stranger: 'Stranger' });
  api = w.api;
  await w.app.upsertUsers([{ id: 'admin', name: 'Admin', role: 'admin' }]);
});
afterAll(() => w.t.close());

let counter = 0;
/** A team channel of owner, mod (moderator), member, other and troll. */
async function room(type = 'team'): Promise<string> {
  const cid = (await api.create('owner', { type, id: `room-${++counter}`, members: ['mod', 'member', 'other', 'troll'] })).channel.cid;
  await api.ok(SERVER, 'PATCH', `${ch(cid)}/members/mod`, { role: 'moderator' });
  return cid;
}
const ban = (as: string, cid: string, body: Record<string, unknown>) => api.req(as, 'POST', `${ch(cid)}/bans`, body);
const messageTexts = async (as: string, cid: string) => texts((await api.ok(as, 'GET', `${ch(cid)}/messages?limit=200`)).messages.filter((m: any) => m.type !== 'system'));

describe('hard ban', () => {
  it('removes the user, hides the channel from them and keeps them out until lifted', async () => {
    const cid = await room();
    await api.send('troll', cid, 'before the ban');
    const since = (await api.sync('troll')).cursor;
    const membersSince = (await api.sync('member')).cursor;

    const res = await ban('mod', cid, { user_id: 'troll', reason: 'spam' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.ban).toMatchObject({ cid, user: { id: 'troll', name: 'Troll' }, shadow: false, reason: 'spam', banned_by: 'mod', expires_at: null });

    const state = await api.state('member', cid, 'member_limit=50');
    expect(state.members.map((m: any) => m.user_id)).not.toContain('troll');
    expect(state.member_count).toBe(4);
    // Gone for them: reads, writes, the channel list.
    expectError(await api.req('troll', 'GET', ch(cid)), 404, 'NOT_FOUND');
    expectError(await api.req('troll', 'POST', `${ch(cid)}/messages`, { text: 'still here?' }), 404, 'NOT_FOUND');
    expect(await api.queryIds('troll', { type: 'team' })).not.toContain(cid.split(':')[1]);
    // Others get user.banned then member.removed in seq order; troll is told on their own stream.
    const seen = (await api.syncAll('member', membersSince)).events.filter((e) => e.cid === cid).map((e) => e.type);
    expect(seen).toEqual(['user.banned', 'member.removed']);
    const told = (await api.syncAll('troll', since)).events.map((e) => e.type);
    expect(told).toEqual(expect.arrayContaining(['user.banned', 'notification.removed_from_channel']));
    const banned = (await api.syncAll('troll', since)).events.find((e) => e.type === 'user.banned');
    expect(banned).toMatchObject({ cid, user: { id: 'mod' }, target_user: { id: 'troll' }, reason: 'spam' });

    expectError(await api.req('owner', 'POST', `${ch(cid)}/members`, { user_ids: ['troll'] }), 403, 'USER_BANNED');
    const lifted = await api.req('mod', 'DELETE', `${ch(cid)}/bans/troll`);
    expect(lifted.status, JSON.stringify(lifted.body)).toBe(200);
    expectError(await api.req('troll', 'GET', ch(cid)), 404, 'NOT_FOUND');
    await api.addMembers('owner', cid, ['troll']);
    expect((await api.state('troll', cid)).membership.user_id).toBe('troll');
  });

  it('keeps a non-member out of a channel anyone may read and join', async () => {
    const cid = (await api.create('admin', { type: 'livestream', id: `live-${++counter}` })).channel.cid;
    expect((await api.req('stranger', 'GET', ch(cid))).status).toBe(200);
    expect((await ban('admin', cid, { user_id: 'stranger' })).status).toBe(201);
    expectError(await api.req('stranger', 'GET', ch(cid)), 404, 'NOT_FOUND');
    expectError(await api.req('stranger', 'POST', `${ch(cid)}/members`, { user_ids: ['stranger'] }), 404, 'NOT_FOUND');
  });

  it('a timed ban lifts by itself', async () => {
    const cid = await room();
    expect((await ban('mod', cid, { user_id: 'troll', timeout: 1 })).body.ban.expires_at).not.toBeNull();
    expectError(await api.req('owner', 'POST', `${ch(cid)}/members`, { user_ids: ['troll'] }), 403, 'USER_BANNED');
    await sleep(1_100);
    await api.addMembers('owner', cid, ['troll']);
    expect((await api.ok('mod', 'GET', `${ch(cid)}/bans`)).bans).toEqual([]);
    expectError(await api.req('mod', 'DELETE', `${ch(cid)}/bans/troll`), 404, 'NOT_FOUND');
  });

  it('who may ban whom', async () => {
    const cid = await room();
    expectError(await ban('member', cid, { user_id: 'troll' }), 403, 'PERMISSION_DENIED');
    expectError(await ban('stranger', cid, { user_id: 'troll' }), 404, 'NOT_FOUND');
    expectError(await ban('mod', cid, { user_id: 'mod' }), 400, 'VALIDATION_ERROR');
    expectError(await ban('mod', cid, { user_id: 'owner' }), 403, 'PERMISSION_DENIED');
    expectError(await ban('mod', cid, { user_id: 'admin' }), 403, 'PERMISSION_DENIED');
    expectError(await ban('mod', cid, { user_id: 'nobody-at-all' }), 404, 'NOT_FOUND');
    expectError(await ban('mod', cid, { user_id: 'troll', role: 'x' }), 400, 'VALIDATION_ERROR');
    expectError(await ban('mod', cid, { user_id: 'troll', timeout: 0 }), 400, 'VALIDATION_ERROR');
    // The app answers for owners.
    expect((await ban('admin', cid, { user_id: 'owner' })).status).toBe(201);
    expectError(await api.req('owner', 'GET', ch(cid)), 404, 'NOT_FOUND');
  });

  it('lists bans in force, a page at a time', async () => {
    const cid = await room();
    for (const user of ['troll', 'other', 'member']) expect((await ban('mod', cid, { user_id: user, shadow: user === 'other' })).status).toBe(201);
    const first = await api.ok('mod', 'GET', `${ch(cid)}/bans?limit=2`);
    expect(first.bans.map((b: any) => [b.user.id, b.shadow])).toEqual([['member', false], ['other', true]]);
    const second = await api.ok('mod', 'GET', `${ch(cid)}/bans?limit=2&next=${first.next}`);
    expect(second.bans.map((b: any) => b.user.id)).toEqual(['troll']);
    expect(second.next).toBeNull();
    expectError(await api.req('mod', 'GET', `${ch(cid)}/bans?next=garbage`), 400, 'VALIDATION_ERROR');
  });
});

describe('shadow ban', () => {
  it("hides the user's new messages from everyone but them, and they cannot tell", async () => {
    const cid = await room();
    await api.send('troll', cid, 'visible');
    const memberSince = (await api.sync('member')).cursor;
    const trollSince = (await api.sync('troll')).cursor;
    const before = await api.state('member', cid);
    const unreadBefore = (await api.unread('member')).total_unread_count;

    expect((await ban('mod', cid, { user_id: 'troll', shadow: true })).status).toBe(201);
    const hidden = await api.send('troll', cid, 'shadowed @member');
    expect(hidden.text).toBe('shadowed @member');
    await api.send('other', cid, 'after');

    // The troll sees their message as sent, and nothing about a ban.
    expect(await messageTexts('troll', cid)).toEqual(['visible', 'shadowed @member', 'after']);
    const own = await api.state('troll', cid);
    expect(own.membership.banned).toBe(false);
    expect((await api.ok('troll', 'GET', `/v1/messages/${hidden.id}`)).message.id).toBe(hidden.id);
    expect((await api.syncAll('troll', trollSince)).events.map((e) => e.message?.text).filter(Boolean)).toEqual(['shadowed @member', 'after']);

    // Everyone else: not in history, state, by id, in sync, in unread counts or mentions.
    for (const as of ['member', 'mod', 'owner', SERVER]) expect(await messageTexts(as, cid), as).toEqual(['visible', 'after']);
    expectError(await api.req('member', 'GET', `/v1/messages/${hidden.id}`), 404, 'NOT_FOUND');
    expectError(await api.req('member', 'POST', `/v1/messages/${hidden.id}/reactions`, { type: 'like' }), 404, 'NOT_FOUND');
    const synced = (await api.syncAll('member', memberSince)).events;
    expect(synced.some((e) => e.message?.id === hidden.id)).toBe(false);
    // In its place, its position only: streams stay gapless, nothing to re-read.
    expect(synced.filter((e) => e.cid === cid).map((e) => e.type)).toEqual(['event.hidden', 'message.new']);
    expect(synced.find((e) => e.type === 'event.hidden')).toEqual({ type: 'event.hidden', cid, seq: hidden.seq, created_at: expect.any(String) });
    expect((await api.unread('member')).total_unread_count).toBe(unreadBefore + 1);
    expect((await api.ok('member', 'GET', '/v1/me/mentions')).messages).not.toContainEqual(expect.objectContaining({ id: hidden.id }));
    expect((await api.state('member', cid)).channel.last_message_at >= before.channel.last_message_at).toBe(true);

    // Their reactions on public messages are theirs alone: not in counts, lists or others' events.
    const visible = (await api.ok('member', 'GET', `${ch(cid)}/messages`)).messages.find((m: any) => m.text === 'after');
    const reacted = await api.ok('troll', 'POST', `/v1/messages/${visible.id}/reactions`, { type: 'clown' });
    expect(reacted.message.own_reactions.map((r: any) => r.type)).toEqual(['clown']);
    const seenByOthers = (await api.ok('member', 'GET', `/v1/messages/${visible.id}`)).message;
    expect(seenByOthers.reaction_counts).toEqual({});
    expect(seenByOthers.latest_reactions).toEqual([]);
    expect((await api.ok('member', 'GET', `/v1/messages/${visible.id}/reactions`)).reactions).toEqual([]);
    expect((await api.ok('troll', 'GET', `/v1/messages/${visible.id}`)).message.own_reactions.map((r: any) => r.type)).toEqual(['clown']);
    expect((await api.syncAll('member', memberSince)).events.some((e) => e.type === 'reaction.new')).toBe(false);
    await api.ok('troll', 'DELETE', `/v1/messages/${visible.id}/reactions/clown`);
    expect((await api.syncAll('member', memberSince)).events.some((e) => e.type === 'reaction.deleted')).toBe(false);

    // What the troll does to their hidden message stays hidden too.
    await api.ok('troll', 'POST', `/v1/messages/${hidden.id}/reactions`, { type: 'like' });
    await api.ok('troll', 'PATCH', `/v1/messages/${hidden.id}`, { text: 'edited in the dark' });
    expect((await api.syncAll('member', memberSince)).events.some((e) => e.message?.id === hidden.id)).toBe(false);

    // Lifting it shows what comes next, not what was hidden.
    expect((await api.req('mod', 'DELETE', `${ch(cid)}/bans/troll`)).status).toBe(200);
    await api.send('troll', cid, 'back in the light');
    expect(await messageTexts('member', cid)).toEqual(['visible', 'after', 'back in the light']);
  });

  it('closes the side doors: rewriting an earlier message, answering or quoting a hidden one', async () => {
    const cid = await room();
    const earlier = await api.send('troll', cid, 'harmless');
    await ban('mod', cid, { user_id: 'troll', shadow: true });
    const hidden = await api.send('troll', cid, 'hidden');
    // Rewriting an earlier public message under the ban takes it into the shadow.
    await api.ok('troll', 'PATCH', `/v1/messages/${earlier.id}`, { text: 'spam now' });
    expect(await messageTexts('member', cid)).toEqual([]);
    expect(await messageTexts('troll', cid)).toEqual(['spam now', 'hidden']);
    // After the ban, answering or quoting what was hidden stays hidden (it would show it).
    await api.req('mod', 'DELETE', `${ch(cid)}/bans/troll`);
    await api.send('troll', cid, { text: 'quoting', quoted_message_id: hidden.id });
    await api.send('troll', cid, { text: 'replying', parent_id: hidden.id, show_in_channel: true });
    const fresh = await api.send('troll', cid, 'new and public');
    expect(await messageTexts('member', cid)).toEqual(['new and public']);
    expect((await api.ok('member', 'GET', `/v1/messages/${fresh.id}`)).message.quoted_message).toBeNull();
    // Others cannot answer or quote a message they cannot see.
    expectError(await api.req('member', 'POST', `${ch(cid)}/messages`, { text: 'x', quoted_message_id: hidden.id }), 400, 'VALIDATION_ERROR');
    expectError(await api.req('member', 'POST', `${ch(cid)}/messages`, { text: 'x', parent_id: hidden.id }), 400, 'VALIDATION_ERROR');
  });

  it('a shadowed reply does not touch its thread', async () => {
    const cid = await room();
    const parent = await api.send('member', cid, 'thread start');
    await ban('mod', cid, { user_id: 'troll', shadow: true });
    await api.send('troll', cid, { text: 'hidden reply', parent_id: parent.id });
    const seenByMember = (await api.ok('member', 'GET', `/v1/messages/${parent.id}`)).message;
    expect(seenByMember.reply_count).toBe(0);
    expect((await api.unread('member')).threads.filter((t: any) => t.parent_id === parent.id)).toEqual([]);
    expect((await api.ok('member', 'GET', `/v1/messages/${parent.id}/replies`)).messages).toEqual([]);
    expect(texts((await api.ok('troll', 'GET', `/v1/messages/${parent.id}/replies`)).messages)).toEqual(['hidden reply']);
  });
});

describe('app-wide ban', () => {
  const appBan = (as: string, user: string, body: Record<string, unknown> = {}) => api.req(as, 'POST', `/v1/users/${user}/ban`, body);

  it('hard: the user reads everywhere, writes nowhere, until lifted', async () => {
    const cid = await room();
    await api.send('troll', cid, 'before');
    const msg = await api.send('member', cid, 'a message to react to');
    const banned = await appBan(SERVER, 'troll', { reason: 'abuse' });
    expect(banned.status, JSON.stringify(banned.body)).toBe(200);
    expect(banned.body.user).toMatchObject({ id: 'troll', banned: true });
    expect((await api.ok('member', 'GET', '/v1/users/troll')).user.banned).toBe(true);

    expect(await messageTexts('troll', cid)).toEqual(['before', 'a message to react to']);
    expectError(await api.req('troll', 'POST', `${ch(cid)}/messages`, { text: 'still shouting' }), 403, 'USER_BANNED');
    expectError(await api.req('troll', 'POST', `/v1/messages/${msg.id}/reactions`, { type: 'like' }), 403, 'USER_BANNED');
    expectError(await api.req('troll', 'POST', '/v1/channels', { type: 'messaging', id: `new-${++counter}` }), 403, 'USER_BANNED');
    expect((await api.req('troll', 'POST', `${ch(cid)}/read`, {})).status).toBe(200);

    expect((await api.req('admin', 'DELETE', '/v1/users/troll/ban')).status).toBe(200);
    await api.send('troll', cid, 'behaving now');
    expect((await api.ok('member', 'GET', '/v1/users/troll')).user.banned).toBe(false);
  });

  it('a timed app ban lifts by itself; only admins ban; nobody bans themselves', async () => {
    const cid = await room();
    expectError(await appBan('mod', 'troll'), 403, 'PERMISSION_DENIED');
    expectError(await appBan('admin', 'admin'), 400, 'VALIDATION_ERROR');
    expectError(await appBan('admin', 'nobody-at-all'), 404, 'NOT_FOUND');
    expectError(await appBan('admin', 'troll', { timeout: 1, role: 'admin' }), 400, 'VALIDATION_ERROR');
    expect((await appBan('admin', 'troll', { timeout: 1 })).status).toBe(200);
    expectError(await api.req('troll', 'POST', `${ch(cid)}/messages`, { text: 'x' }), 403, 'USER_BANNED');
    await sleep(1_100);
    await api.send('troll', cid, 'the hour is over');
  });

  it('shadow: what they send anywhere is theirs alone, and nothing tells them', async () => {
    const [one, two] = [await room(), await room()];
    expect((await appBan(SERVER, 'troll', { shadow: true })).body.user.banned).toBe(false);
    await api.send('troll', one, 'hidden here');
    await api.send('troll', two, 'and hidden there');
    expect(await messageTexts('member', one)).toEqual([]);
    expect(await messageTexts('member', two)).toEqual([]);
    expect(await messageTexts('troll', two)).toEqual(['and hidden there']);
    expect((await api.ok('troll', 'GET', '/v1/me')).user.banned).toBe(false);
    await api.req(SERVER, 'DELETE', '/v1/users/troll/ban');
    await api.send('troll', one, 'visible again');
    expect(await messageTexts('member', one)).toEqual(['visible again']);
  });
});
