/** Channels: get-or-create (named, distinct, concurrent), state windows, update, delete, truncate. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ch, expectError, SERVER, startWorld, texts, type Api, type World } from './channel-helpers.js';

let w: World;
let api: Api;
beforeAll(async () => {
  w = await startWorld({ alice: 'Alice', bob: 'Bob', carol: 'Carol', dave: 'Dave', erin: 'Erin' });
  api = w.api;
});
afterAll(() => w.t.close());

const memberIds = (state: any) => state.members.map((m: any) => m.user_id).sort();

async function channelRows(id: string): Promise<number> {
  const result = await w.t.server.services.pool.query('select count(*)::int as n from channels where app_id = $1 and id = $2', [w.app.appId, id]);
  return result.rows[0].n;
}

describe('get-or-create', () => {
  it('a named channel is created once, then returned as is', async () => {
    const first = await api.req('alice', 'POST', '/v1/channels', { type: 'team', id: 'named-1', name: 'Named', members: ['bob'] });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.channel).toMatchObject({ cid: 'team:named-1', name: 'Named', created_by: 'alice', distinct: false });
    expect(memberIds(first.body)).toEqual(['alice', 'bob']);
    expect(first.body.membership.role).toBe('owner');

    const again = await api.req('bob', 'POST', '/v1/channels', { type: 'team', id: 'named-1', name: 'Other name' });
    expect(again.status).toBe(200);
    expect(again.body.channel.name).toBe('Named');
    expect(again.body.channel.created_at).toBe(first.body.channel.created_at);
    expect(again.body.membership.role).toBe('member');
  });

  it('a distinct channel is the same for the same member set in any order, creator included', async () => {
    const a = await api.req('alice', 'POST', '/v1/channels', { type: 'messaging', members: ['bob', 'carol'] });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(a.body.channel.distinct).toBe(true);
    expect(memberIds(a.body)).toEqual(['alice', 'bob', 'carol']);

    const b = await api.req('bob', 'POST', '/v1/channels', { type: 'messaging', members: ['carol', 'alice'] });
    const c = await api.req('carol', 'POST', '/v1/channels', { type: 'messaging', members: ['carol', 'bob', 'alice'] });
    const s = await api.req(SERVER, 'POST', '/v1/channels', { type: 'messaging', members: ['carol', 'alice', 'bob'] });
    for (const res of [b, c, s]) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.channel.cid).toBe(a.body.channel.cid);
    }
    // A subset or another type is another channel.
    const dm = await api.create('alice', { type: 'messaging', members: ['bob'] });
    expect(dm.channel.cid).not.toBe(a.body.channel.cid);
    expect(memberIds(dm)).toEqual(['alice', 'bob']);
    const team = await api.create('alice', { type: 'team', members: ['bob', 'carol'] });
    expect(team.channel.type).toBe('team');
    expect(team.channel.id).not.toBe(dm.channel.id);
    // A message in the group is seen by everyone who opens the group by its member set.
    await api.send('alice', a.body.channel.cid, 'hello group');
    const opened = await api.create('carol', { type: 'messaging', members: ['alice', 'bob'] });
    expect(texts(opened.messages)).toEqual(['hello group']);
    expect(opened.unread_count).toBe(1);
  });

  it('once a distinct channel gains or loses members, its old member set opens a new channel', async () => {
    const dm = await api.create('dave', { type: 'messaging', members: ['erin'] });
    await api.send('dave', dm.channel.cid, 'just us');
    await api.addMembers('dave', dm.channel.cid, ['carol']);
    const reopened = await api.req('erin', 'POST', '/v1/channels', { type: 'messaging', members: ['dave'] });
    expect(reopened.status, JSON.stringify(reopened.body)).toBe(201);
    expect(reopened.body.channel.cid).not.toBe(dm.channel.cid);
    expect(memberIds(reopened.body)).toEqual(['dave', 'erin']);
    expect(reopened.body.messages).toEqual([]);
    // the same set again is that new channel; the grown group is an ordinary group now
    expect((await api.create('dave', { type: 'messaging', members: ['erin'] })).channel.cid).toBe(reopened.body.channel.cid);
    const trio = await api.create('carol', { type: 'messaging', members: ['dave', 'erin'] });
    expect(trio.channel.cid).not.toBe(dm.channel.cid);
    // deleting the grown group does not hand the set its old id back while the new DM lives
    await api.ok('dave', 'DELETE', ch(dm.channel.cid));
    expect((await api.create('erin', { type: 'messaging', members: ['dave'] })).channel.cid).toBe(reopened.body.channel.cid);
  });

  it('20 parallel creates of one distinct member set make exactly one channel', async () => {
    const users = ['alice', 'bob', 'dave', 'erin'];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const as = users[i % users.length]!;
        const others = users.filter((u) => u !== as);
        return api.req(as, 'POST', '/v1/channels', { type: 'messaging', members: i % 2 ? others : [...others].reverse() });
      }),
    );
    for (const res of results) expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const cids = new Set(results.map((r) => r.body.channel.cid));
    expect(cids.size).toBe(1);
    for (const res of results) expect(memberIds(res.body)).toEqual(['alice', 'bob', 'dave', 'erin']);
    expect(await channelRows(results[0]!.body.channel.id)).toBe(1);
    expect(await api.queryIds('erin', { members: { $in: ['alice'] }, distinct: true, member_count: 4 })).toEqual([results[0]!.body.channel.id]);
  });

  it('20 parallel creates of one named id make exactly one channel', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => api.req(i % 2 ? 'alice' : SERVER, 'POST', '/v1/channels', { type: 'team', id: 'race-1', members: ['alice', 'bob'] })));
    for (const res of results) expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(new Set(results.map((r) => r.body.channel.created_at)).size).toBe(1);
    expect(await channelRows('race-1')).toBe(1);
    expect((await api.state('bob', 'team:race-1')).member_count).toBe(2);
  });
});

describe('channel state windows', () => {
  const cid = 'team:window';
  const seqs: number[] = [];
  const ids: string[] = [];
  beforeAll(async () => {
    await api.create('alice', { type: 'team', id: 'window', members: ['bob'] });
    for (let i = 0; i < 20; i++) {
      const m = await api.send(i % 2 ? 'bob' : 'alice', cid, `m${i}`);
      seqs.push(m.seq);
      ids.push(m.id);
      // thread-only replies never show in the channel's windows
      if (i === 9) await api.send('bob', cid, { text: 'thread only', parent_id: m.id });
    }
  });
  const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

  it('latest N with message_limit', async () => {
    const state = await api.state('bob', cid, 'message_limit=5');
    expect(texts(state.messages)).toEqual(names(15, 20));
    expect([state.has_more_before, state.has_more_after]).toEqual([true, false]);
    const all = await api.state('bob', cid, 'message_limit=50');
    expect(texts(all.messages)).toEqual(names(0, 20));
    expect([all.has_more_before, all.has_more_after]).toEqual([false, false]);
  });

  it('before_seq and after_seq', async () => {
    let state = await api.state('bob', cid, `message_limit=5&before_seq=${seqs[10]}`);
    expect(texts(state.messages)).toEqual(names(5, 10));
    expect([state.has_more_before, state.has_more_after]).toEqual([true, true]);
    state = await api.state('bob', cid, `message_limit=5&before_seq=${seqs[5]}`);
    expect(texts(state.messages)).toEqual(names(0, 5));
    expect([state.has_more_before, state.has_more_after]).toEqual([false, true]);
    state = await api.state('bob', cid, `message_limit=5&before_seq=${seqs[0]}`);
    expect(state.messages).toEqual([]);
    expect([state.has_more_before, state.has_more_after]).toEqual([false, true]);

    state = await api.state('bob', cid, `message_limit=5&after_seq=${seqs[14]}`);
    expect(texts(state.messages)).toEqual(names(15, 20));
    expect([state.has_more_before, state.has_more_after]).toEqual([true, false]);
    state = await api.state('bob', cid, `message_limit=5&after_seq=${seqs[13]}`);
    expect(texts(state.messages)).toEqual(names(14, 19));
    expect([state.has_more_before, state.has_more_after]).toEqual([true, true]);
    state = await api.state('bob', cid, `message_limit=5&after_seq=0`);
    expect(texts(state.messages)).toEqual(names(0, 5));
    expect([state.has_more_before, state.has_more_after]).toEqual([false, true]);
  });

  it('around_seq and around_id', async () => {
    let state = await api.state('bob', cid, `message_limit=6&around_seq=${seqs[10]}`);
    expect(texts(state.messages)).toEqual(names(7, 13));
    expect([state.has_more_before, state.has_more_after]).toEqual([true, true]);
    state = await api.state('bob', cid, `message_limit=6&around_id=${ids[1]}`);
    expect(texts(state.messages)).toEqual(names(0, 4));
    expect([state.has_more_before, state.has_more_after]).toEqual([false, true]);
    state = await api.state('bob', cid, `message_limit=6&around_id=${ids[18]}`);
    expect(texts(state.messages)).toEqual(names(15, 20));
    expect([state.has_more_before, state.has_more_after]).toEqual([true, false]);

    const other = await api.create('alice', { type: 'team', id: 'window-other' });
    const foreign = await api.send('alice', other.channel.cid, 'elsewhere');
    expectError(await api.req('bob', 'GET', `${ch(cid)}?around_id=${foreign.id}`), 404, 'NOT_FOUND');
  });
});

describe('update', () => {
  const cid = 'messaging:org-group';
  beforeAll(async () => {
    await api.create('alice', { type: 'messaging', id: 'org-group', members: ['bob', 'carol'] });
  });

  it('only the owner or a moderator renames a messaging group; a member gets 403', async () => {
    expectError(await api.req('bob', 'PATCH', ch(cid), { set: { name: 'Bob was here' } }), 403, 'PERMISSION_DENIED');
    expectError(await api.req('bob', 'PATCH', ch(cid), { unset: ['name'] }), 403, 'PERMISSION_DENIED');
    expectError(await api.req('bob', 'PATCH', ch(cid), { set: {} }), 403, 'PERMISSION_DENIED');
    expect((await api.state('alice', cid)).channel.name).toBeNull();

    const renamed = await api.ok('alice', 'PATCH', ch(cid), { set: { name: 'Ski trip' } });
    expect(renamed.channel.name).toBe('Ski trip');

    await api.ok('alice', 'PATCH', `${ch(cid)}/members/carol`, { role: 'moderator' });
    expect((await api.ok('carol', 'PATCH', ch(cid), { set: { name: 'Ski trip 2026' } })).channel.name).toBe('Ski trip 2026');

    const bob = await api.state('bob', cid);
    expect(bob.channel.name).toBe('Ski trip 2026');
    const system = bob.messages.filter((m: any) => m.type === 'system');
    expect(texts(system)).toEqual(['Alice renamed the channel to Ski trip', 'Carol renamed the channel to Ski trip 2026']);
    // system messages are never unread
    expect(bob.unread_count).toBe(0);
    expect((await api.unread('bob')).channels.find((c: any) => c.cid === cid)).toBeUndefined();
  });

  it('unset name; custom keys merge, unset removes a key', async () => {
    await api.ok('alice', 'PATCH', ch(cid), { set: { custom: { color: 'red', size: 3 } } });
    let channel = (await api.ok('alice', 'PATCH', ch(cid), { set: { custom: { size: 4, topic: 'snow' } } })).channel;
    expect(channel.custom).toEqual({ color: 'red', size: 4, topic: 'snow' });
    channel = (await api.ok('alice', 'PATCH', ch(cid), { unset: ['color', 'custom.topic'] })).channel;
    expect(channel.custom).toEqual({ size: 4 });
    channel = (await api.ok('alice', 'PATCH', ch(cid), { unset: ['name'] })).channel;
    expect(channel.name).toBeNull();
    const state = await api.state('carol', cid);
    expect(state.channel).toMatchObject({ name: null, custom: { size: 4 } });
    // unsetting a name adds no "renamed" message
    expect(texts(state.messages).filter((t) => t.includes('renamed'))).toHaveLength(2);
  });
});

describe('delete and truncate', () => {
  it('a deleted channel is gone: 404 on read and write, left out of queries, unread no longer counted', async () => {
    const state = await api.create('alice', { type: 'team', id: 'doomed', members: ['bob'] });
    await api.send('alice', state.channel.cid, 'unread for bob');
    expect((await api.state('bob', 'team:doomed')).unread_count).toBe(1);
    expect(await api.queryIds('bob', { id: 'doomed' })).toEqual(['doomed']);

    expectError(await api.req('bob', 'DELETE', ch('team:doomed')), 403, 'PERMISSION_DENIED');
    const deleted = await api.ok('alice', 'DELETE', ch('team:doomed'));
    expect(deleted.channel.deleted_at).not.toBeNull();

    for (const as of ['alice', 'bob', SERVER]) expectError(await api.req(as, 'GET', ch('team:doomed')), 404, 'NOT_FOUND');
    expectError(await api.req('alice', 'POST', `${ch('team:doomed')}/messages`, { text: 'x' }), 404, 'NOT_FOUND');
    expectError(await api.req('alice', 'DELETE', ch('team:doomed')), 404, 'NOT_FOUND');
    expect(await api.queryIds('bob', { id: 'doomed' })).toEqual([]);
    expect(await api.queryIds(SERVER, { id: 'doomed' })).toEqual([]);
    expect((await api.unread('bob')).channels.map((c: any) => c.cid)).not.toContain('team:doomed');
  });

  it('get-or-create after a delete makes a fresh channel with none of the old history', async () => {
    const dm = await api.create('carol', { type: 'messaging', members: ['dave'] });
    await api.send('carol', dm.channel.cid, 'old secret');
    await api.ok('carol', 'DELETE', ch(dm.channel.cid));
    const again = await api.req('dave', 'POST', '/v1/channels', { type: 'messaging', members: ['carol'] });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.channel.deleted_at).toBeNull();
    expect(again.body.messages).toEqual([]);
    expect(again.body.unread_count).toBe(0);
    expect(memberIds(again.body)).toEqual(['carol', 'dave']);
    expect(again.body.membership.role).toBe('owner');
    const msg = await api.send('carol', again.body.channel.cid, 'new start');
    expect(texts((await api.state('dave', again.body.channel.cid)).messages)).toEqual(['new start']);
    expect(msg.seq).toBeGreaterThan(0);
  });

  it('truncate hides earlier messages, zeroes unread, and later messages show', async () => {
    const cid = (await api.create('alice', { type: 'team', id: 'trunc', members: ['bob'] })).channel.cid;
    const old = [];
    for (let i = 0; i < 3; i++) old.push(await api.send('alice', cid, `old ${i}`));
    expect((await api.state('bob', cid)).unread_count).toBe(3);

    expectError(await api.req('bob', 'POST', `${ch(cid)}/truncate`), 403, 'PERMISSION_DENIED');
    await api.ok('alice', 'POST', `${ch(cid)}/truncate`);

    let state = await api.state('bob', cid);
    expect(state.messages).toEqual([]);
    expect(state.unread_count).toBe(0);
    expect(state.channel.last_message_at).toBeNull();
    expect((await api.ok('bob', 'GET', `${ch(cid)}/messages`)).messages).toEqual([]);
    expectError(await api.req('bob', 'GET', `/v1/messages/${old[0].id}`), 404, 'NOT_FOUND');
    expect((await api.unread('bob')).channels.map((c: any) => c.cid)).not.toContain(cid);

    await api.send('alice', cid, 'after truncate');
    state = await api.state('bob', cid);
    expect(texts(state.messages)).toEqual(['after truncate']);
    expect(state.unread_count).toBe(1);
    expect((await api.ok('bob', 'GET', `${ch(cid)}/messages`)).messages.map((m: any) => m.text)).toEqual(['after truncate']);
    expect((await api.unread('bob')).channels.find((c: any) => c.cid === cid)?.unread_count).toBe(1);
  });
});
