/** Members: add/remove limits, roles, leave, min/max members, system messages, own membership flags. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userTopic } from '../../packages/server/src/engines/broker.js';
import { addApp, ch, expectError, SERVER, startWorld, texts, type Api, type World } from './channel-helpers.js';

let w: World;
let api: Api;
const crowd = Array.from({ length: 101 }, (_, i) => `u${String(i).padStart(3, '0')}`);
beforeAll(async () => {
  w = await startWorld({ alice: 'Alice', bob: 'Bob', carol: 'Carol', dave: 'Dave', ...Object.fromEntries(crowd.map((u) => [u, u.toUpperCase()])) });
  api = w.api;
});
afterAll(() => w.t.close());

const ids = (state: any) => state.members.map((m: any) => m.user_id).sort();
const systemTexts = (state: any) => texts(state.messages.filter((m: any) => m.type === 'system'));

describe('adding and removing', () => {
  it('at most 100 user ids per call', async () => {
    const cid = (await api.create('alice', { type: 'team', id: 'big' })).channel.cid;
    expectError(await api.req('alice', 'POST', `${ch(cid)}/members`, { user_ids: crowd }), 400, 'VALIDATION_ERROR');
    expectError(await api.req('alice', 'POST', `${ch(cid)}/members`, { user_ids: [] }), 400, 'VALIDATION_ERROR');
    expect((await api.state('alice', cid)).member_count).toBe(1);
    const added = await api.addMembers('alice', cid, crowd.slice(0, 100));
    expect(added.members).toHaveLength(100);
    expect(added.member_count).toBe(101);
    // adding someone twice adds nothing
    const again = await api.addMembers('alice', cid, [crowd[0]!, crowd[100]!]);
    expect(again.members.map((m: any) => m.user_id)).toEqual([crowd[100]]);
    expect(again.member_count).toBe(102);

    expectError(await api.req('alice', 'DELETE', `${ch(cid)}/members`, { user_ids: crowd }), 400, 'VALIDATION_ERROR');
    const removed = await api.removeMembers('alice', cid, crowd.slice(1, 101));
    expect(removed.removed).toHaveLength(100);
    expect(removed.member_count).toBe(2);
    const state = await api.state('alice', cid, 'member_limit=200');
    expect(ids(state)).toEqual(['alice', crowd[0]]);
    expect(state.member_count).toBe(2);
  });

  it('adds and removes leave system messages naming who did what', async () => {
    const cid = (await api.create('alice', { type: 'team', id: 'sys' })).channel.cid;
    await api.addMembers('alice', cid, ['bob', 'carol']);
    await api.removeMembers('alice', cid, ['carol']);
    await api.ok('bob', 'DELETE', `${ch(cid)}/members`, { user_ids: ['bob'] });
    const state = await api.state('alice', cid);
    expect(systemTexts(state)).toEqual(['Alice added Bob, Carol', 'Alice removed Carol', 'Bob left']);
    expect(state.unread_count).toBe(0);
    expect(ids(state)).toEqual(['alice']);
    // joining a livestream by oneself reads "joined"
    const live = (await api.create(SERVER, { type: 'livestream', id: 'live' })).channel.cid;
    await api.addMembers('dave', live, ['dave']);
    expect(systemTexts(await api.state('dave', live))).toEqual(['Dave joined']);
  });

  it('a newly added member does not see earlier messages as unread', async () => {
    const cid = (await api.create('alice', { type: 'team', id: 'late', members: ['bob'] })).channel.cid;
    for (let i = 0; i < 3; i++) await api.send('bob', cid, `before ${i}`);
    await api.addMembers('alice', cid, ['dave']);
    let dave = await api.state('dave', cid);
    expect(texts(dave.messages).filter((t) => t.startsWith('before'))).toHaveLength(3);
    expect(dave.unread_count).toBe(0);
    expect((await api.unread('dave')).channels.map((c: any) => c.cid)).not.toContain(cid);
    await api.send('bob', cid, 'after');
    dave = await api.state('dave', cid);
    expect(dave.unread_count).toBe(1);
    expect((await api.unread('dave')).channels.find((c: any) => c.cid === cid)?.unread_count).toBe(1);
  });
});

describe('roles and leaving', () => {
  const cid = 'team:roles';
  beforeAll(async () => {
    await api.create('alice', { type: 'team', id: 'roles', members: ['bob', 'carol'] });
  });

  it('only the owner changes member roles; a moderator then manages members', async () => {
    expectError(await api.req('bob', 'POST', `${ch(cid)}/members`, { user_ids: ['dave'] }), 403, 'PERMISSION_DENIED');
    expectError(await api.req('bob', 'PATCH', `${ch(cid)}/members/carol`, { role: 'moderator' }), 403, 'PERMISSION_DENIED');
    const promoted = await api.ok('alice', 'PATCH', `${ch(cid)}/members/bob`, { role: 'moderator' });
    expect(promoted.member).toMatchObject({ user_id: 'bob', role: 'moderator' });
    expect((await api.state('bob', cid)).membership.role).toBe('moderator');
    // a moderator adds and removes members but cannot hand out roles
    await api.addMembers('bob', cid, ['dave']);
    expectError(await api.req('bob', 'PATCH', `${ch(cid)}/members/carol`, { role: 'moderator' }), 403, 'PERMISSION_DENIED');
    expectError(await api.req('bob', 'POST', `${ch(cid)}/members`, { user_ids: [crowd[5]], role: 'moderator' }), 403, 'PERMISSION_DENIED');
    await api.removeMembers('bob', cid, ['dave']);
    expectError(await api.req('alice', 'PATCH', `${ch(cid)}/members/dave`, { role: 'moderator' }), 404, 'NOT_FOUND');
    expectError(await api.req('alice', 'PATCH', `${ch(cid)}/members/bob`, { role: 'owner', extra: 1 }), 400, 'VALIDATION_ERROR');
    const demoted = await api.ok('alice', 'PATCH', `${ch(cid)}/members/bob`, { role: 'member' });
    expect(demoted.member.role).toBe('member');
    expectError(await api.req('bob', 'POST', `${ch(cid)}/members`, { user_ids: ['dave'] }), 403, 'PERMISSION_DENIED');
  });

  it('leaving: the member is gone, loses access and hears nothing more', async () => {
    const seen: string[] = [];
    const unsubscribe = w.t.server.services.broker.subscribe(userTopic(w.app.appId, 'carol'), (m) => seen.push(m.event.type));
    try {
      const since = (await api.sync('carol')).cursor;
      await api.send('alice', cid, 'before leaving');
      const left = await api.ok('carol', 'DELETE', `${ch(cid)}/members`, { user_ids: ['carol'] });
      expect(left).toEqual({ removed: ['carol'], member_count: 2 });
      expect(seen).toContain('notification.message_new');
      const count = seen.length;
      await api.send('alice', cid, 'after leaving');
      await api.ok('alice', 'PATCH', ch(cid), { set: { name: 'Renamed after' } });
      expect(seen.length).toBe(count);
      expectError(await api.req('carol', 'GET', ch(cid)), 404, 'NOT_FOUND');
      expectError(await api.req('carol', 'POST', `${ch(cid)}/messages`, { text: 'hi' }), 404, 'NOT_FOUND');
      expectError(await api.req('carol', 'POST', `${ch(cid)}/read`, {}), 404, 'NOT_FOUND');
      expect(await api.queryIds('carol', { id: 'roles' })).toEqual([]);
      const events = (await api.syncAll('carol', since)).events;
      const types = events.map((e: any) => e.type);
      expect(types[types.length - 1]).toBe('notification.removed_from_channel');
      expect(events.some((e: any) => e.message?.text === 'after leaving')).toBe(false);
    } finally {
      unsubscribe();
    }
  });
});

describe('min_members / max_members (org-messenger preset)', () => {
  let org: Api;
  const staff = Array.from({ length: 52 }, (_, i) => `s${String(i).padStart(2, '0')}`);
  beforeAll(async () => {
    org = (await addApp(w.t, 'org', Object.fromEntries(staff.map((s) => [s, s])))).api;
    await org.ok(SERVER, 'PUT', '/v1/channel-types/messaging', { config: { min_members: 3, max_members: 50 } });
  });

  it('groups of 3 to 50', async () => {
    expectError(await org.req('s00', 'POST', '/v1/channels', { type: 'messaging', members: ['s01'] }), 400, 'TOO_FEW_MEMBERS');
    expectError(await org.req('s00', 'POST', '/v1/channels', { type: 'messaging', id: 'solo' }), 400, 'TOO_FEW_MEMBERS');
    expectError(await org.req('s00', 'POST', '/v1/channels', { type: 'messaging', members: staff.slice(1, 51) }), 400, 'TOO_MANY_MEMBERS');
    const group = await org.req('s00', 'POST', '/v1/channels', { type: 'messaging', members: ['s01', 's02'] });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    const cid = group.body.channel.cid;
    expect(group.body.member_count).toBe(3);

    // removing below 3 fails and changes nothing
    expectError(await org.req('s00', 'DELETE', `${ch(cid)}/members`, { user_ids: ['s02'] }), 400, 'TOO_FEW_MEMBERS');
    expect((await org.state('s01', cid)).member_count).toBe(3);

    expect((await org.addMembers('s00', cid, staff.slice(3, 50))).member_count).toBe(50);
    expectError(await org.req('s00', 'POST', `${ch(cid)}/members`, { user_ids: ['s50'] }), 400, 'TOO_MANY_MEMBERS');
    expectError(await org.req('s00', 'POST', `${ch(cid)}/members`, { user_ids: ['s03', 's50', 's51'] }), 400, 'TOO_MANY_MEMBERS');
    expect((await org.addMembers('s00', cid, ['s03'])).member_count).toBe(50);
    expectError(await org.req('s50', 'GET', ch(cid)), 404, 'NOT_FOUND');

    // from 50 down to 3 in one call works; one more does not
    expect((await org.removeMembers('s00', cid, staff.slice(3, 50))).member_count).toBe(3);
    expectError(await org.req('s00', 'DELETE', `${ch(cid)}/members`, { user_ids: ['s01', 's02'] }), 400, 'TOO_FEW_MEMBERS');
    expect((await org.state('s00', cid)).member_count).toBe(3);
  });

  it('the limits are per type: a team is not bound by them', async () => {
    const team = await org.req('s00', 'POST', '/v1/channels', { type: 'team', members: ['s01'] });
    expect(team.status).toBe(201);
  });
});

describe('own membership flags', () => {
  const cid = 'team:flags';
  beforeAll(async () => {
    await api.create('alice', { type: 'team', id: 'flags', members: ['bob', 'carol'] });
  });

  it('starred, archived, muted_until, notifications are the caller’s own', async () => {
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const m = await api.membership('bob', cid, { starred: true, archived: true, muted_until: until, notifications: 'mentions' });
    expect(m).toMatchObject({ user_id: 'bob', starred: true, archived: true, hidden: false, muted_until: until, notifications: 'mentions' });
    expect((await api.state('bob', cid)).membership).toMatchObject({ starred: true, archived: true, muted_until: until, notifications: 'mentions' });
    expect((await api.state('alice', cid)).membership).toMatchObject({ starred: false, archived: false, muted_until: null, notifications: 'all' });
    // a partial update leaves the rest alone; null clears a mute
    const n = await api.membership('bob', cid, { muted_until: null, notifications: 'none' });
    expect(n).toMatchObject({ starred: true, archived: true, muted_until: null, notifications: 'none' });
    expect(await api.membership('bob', cid, { starred: false })).toMatchObject({ starred: false, archived: true, notifications: 'none' });

    expectError(await api.req('bob', 'PATCH', `${ch(cid)}/membership`, { notifications: 'sometimes' }), 400, 'VALIDATION_ERROR');
    expectError(await api.req('bob', 'PATCH', `${ch(cid)}/membership`, { role: 'owner' }), 400, 'VALIDATION_ERROR');
    expectError(await api.req('dave', 'PATCH', `${ch(cid)}/membership`, { starred: true }), 404, 'NOT_FOUND');
  });

  it('hidden leaves a channel out of queries until anyone sends a message, which unhides it for everyone', async () => {
    await api.membership('bob', cid, { hidden: true });
    await api.membership('carol', cid, { hidden: true });
    expect(await api.queryIds('bob', { id: 'flags' })).toEqual([]);
    expect(await api.queryIds('bob', { id: 'flags', hidden: true })).toEqual(['flags']);
    // a system message (rename) does not unhide
    await api.ok('alice', 'PATCH', ch(cid), { set: { name: 'Flags' } });
    expect(await api.queryIds('carol', { id: 'flags' })).toEqual([]);

    await api.send('alice', cid, 'wake up');
    for (const user of ['bob', 'carol']) {
      expect(await api.queryIds(user, { id: 'flags' })).toEqual(['flags']);
      expect((await api.state(user, cid)).membership.hidden).toBe(false);
    }
    // hidden again, then the hider's own message unhides too
    await api.membership('bob', cid, { hidden: true });
    await api.send('bob', cid, 'back');
    expect((await api.state('bob', cid)).membership.hidden).toBe(false);
  });
});
