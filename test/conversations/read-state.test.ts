/** Read state: mark read (seq, message, latest, all), delivered, unread counts and what they leave out. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelTopic } from '../../packages/server/src/engines/broker.js';
import { ch, expectError, SERVER, startWorld, type Api, type World } from './channel-helpers.js';

let w: World;
let api: Api;
beforeAll(async () => {
  w = await startWorld({ alice: 'Alice', bob: 'Bob', carol: 'Carol', dave: 'Dave' });
  api = w.api;
});
afterAll(() => w.t.close());

const unreadOf = async (user: string, cid: string) => {
  const state = await api.state(user, cid);
  const listed = (await api.unread(user)).channels.find((c: any) => c.cid === cid);
  // GET channel state and /v1/me/unread always agree
  expect(listed?.unread_count ?? 0).toBe(state.unread_count);
  expect(listed?.unread_mentions ?? 0).toBe(state.unread_mentions);
  return { unread: state.unread_count as number, mentions: state.unread_mentions as number, lastRead: state.membership.last_read_seq as number };
};

describe('mark read', () => {
  const cid = 'team:marks';
  const msgs: any[] = [];
  beforeAll(async () => {
    await api.create('alice', { type: 'team', id: 'marks', members: ['bob', 'carol'] });
    for (let i = 0; i < 5; i++) msgs.push(await api.send('bob', cid, `m${i}`));
  });

  it('up to a seq, up to a message, then to the latest', async () => {
    expect(await unreadOf('alice', cid)).toMatchObject({ unread: 5, mentions: 0 });
    let res = await api.markRead('alice', cid, { seq: msgs[1].seq });
    expect(res).toMatchObject({ unread_count: 3, unread_mentions: 0, read: { user_id: 'alice', last_read_seq: msgs[1].seq } });
    expect(res.read.last_read_at).not.toBeNull();
    expect(await unreadOf('alice', cid)).toMatchObject({ unread: 3, lastRead: msgs[1].seq });

    res = await api.markRead('alice', cid, { message_id: msgs[3].id });
    expect(res.unread_count).toBe(1);
    expect(res.read.last_read_seq).toBe(msgs[3].seq);

    res = await api.markRead('alice', cid);
    expect(res.unread_count).toBe(0);
    const state = await api.state('alice', cid);
    expect(res.read.last_read_seq).toBeGreaterThanOrEqual(msgs[4].seq);
    expect(state.read.find((r: any) => r.user_id === 'alice').last_read_seq).toBe(res.read.last_read_seq);
  });

  it('pointers never move back; a stale mark-read changes nothing and emits nothing', async () => {
    await api.markRead('carol', cid, { seq: msgs[3].seq });
    const since = (await api.sync('carol')).cursor;
    const heard: string[] = [];
    const unsubscribe = w.t.server.services.broker.subscribe(channelTopic(w.app.appId, 'team', 'marks'), (m) => heard.push(m.event.type));
    try {
      const stale = await api.markRead('carol', cid, { seq: msgs[1].seq });
      expect(stale.read.last_read_seq).toBe(msgs[3].seq);
      expect(stale.unread_count).toBe(1);
      const same = await api.markRead('carol', cid, { message_id: msgs[3].id });
      expect(same.read.last_read_seq).toBe(msgs[3].seq);
      expect(heard).toEqual([]);
      expect((await api.sync('carol', since)).events).toEqual([]);
      expect(await unreadOf('carol', cid)).toMatchObject({ unread: 1, lastRead: msgs[3].seq });
      // a seq beyond the end reads to the end, no further
      const far = await api.markRead('carol', cid, { seq: 1_000_000 });
      expect(far.unread_count).toBe(0);
      expect(heard).toEqual(['message.read']);
      // nothing new to read: marking latest again (or all) is a no-op too, though the receipt took a seq
      const again = await api.markRead('carol', cid);
      expect(again.read.last_read_seq).toBe(far.read.last_read_seq);
      expect(await api.ok('carol', 'POST', '/v1/channels/read')).toEqual({ marked: 0 });
      await api.ok('carol', 'POST', `${ch(cid)}/delivered`, { seq: 1_000_000 });
      expect(heard).toEqual(['message.read']);
      await api.send('bob', cid, 'later');
      expect((await unreadOf('carol', cid)).unread).toBe(1);
    } finally {
      unsubscribe();
    }
  });

  it('rejects seq with message_id, foreign messages, non-members and a server token without a user', async () => {
    expectError(await api.req('alice', 'POST', `${ch(cid)}/read`, { seq: 1, message_id: msgs[0].id }), 400, 'VALIDATION_ERROR');
    const other = (await api.create('alice', { type: 'team', id: 'marks-other' })).channel.cid;
    const foreign = await api.send('alice', other, 'elsewhere');
    expectError(await api.req('alice', 'POST', `${ch(cid)}/read`, { message_id: foreign.id }), 404, 'NOT_FOUND');
    expectError(await api.req('dave', 'POST', `${ch(cid)}/read`, {}), 404, 'NOT_FOUND');
    expectError(await api.req(SERVER, 'POST', `${ch(cid)}/read`, {}), 400, 'VALIDATION_ERROR');
    const asBob = await api.req(SERVER, 'POST', `${ch(cid)}/read`, {}, { 'x-parley-user': 'bob' });
    expect(asBob.status).toBe(200);
  });

  it('the delivered pointer moves forward only, and never beyond the end', async () => {
    const d = 'team:delivered';
    await api.create('alice', { type: 'team', id: 'delivered', members: ['bob'] });
    const a = await api.send('alice', d, 'one');
    const b = await api.send('alice', d, 'two');
    let res = await api.ok('bob', 'POST', `${ch(d)}/delivered`, { seq: b.seq });
    expect(res.read).toMatchObject({ user_id: 'bob', last_delivered_seq: b.seq });
    res = await api.ok('bob', 'POST', `${ch(d)}/delivered`, { seq: a.seq });
    expect(res.read.last_delivered_seq).toBe(b.seq);
    res = await api.ok('bob', 'POST', `${ch(d)}/delivered`, { seq: 999_999 });
    const state = await api.state('bob', d);
    expect(res.read.last_delivered_seq).toBe(state.membership.last_delivered_seq);
    expect(res.read.last_delivered_seq).toBeLessThan(999_999);
    // delivered is not read
    expect(state.unread_count).toBe(2);
    // reading moves delivered along
    const c = await api.send('alice', d, 'three');
    const read = await api.markRead('bob', d);
    expect(read.read.last_delivered_seq).toBeGreaterThanOrEqual(c.seq);
    expectError(await api.req('bob', 'POST', `${ch(d)}/delivered`, {}), 400, 'VALIDATION_ERROR');
  });
});

describe('what counts as unread', () => {
  it('own, deleted, system and thread-only messages do not count; shown replies and mentions do', async () => {
    const cid = 'team:counting';
    await api.create('alice', { type: 'team', id: 'counting', members: ['bob', 'carol'] });
    const root = await api.send('alice', cid, 'root');
    await api.send('bob', cid, 'own message of bob');
    await api.send('alice', cid, { text: 'thread only', parent_id: root.id });
    await api.send('alice', cid, { text: 'shown reply', parent_id: root.id, show_in_channel: true });
    await api.send('alice', cid, { text: 'hey @bob' });
    await api.send('carol', cid, { text: 'also you', mentioned_user_ids: ['bob'] });
    const doomed = await api.send('alice', cid, 'to be deleted @bob');
    await api.ok('alice', 'PATCH', ch(cid), { set: { name: 'Counting' } });
    await api.addMembers('alice', cid, ['dave']);
    // bob's own message read the root for him: shown reply, two mentions and the doomed one are left
    expect(await unreadOf('bob', cid)).toMatchObject({ unread: 4, mentions: 3 });

    await api.ok('alice', 'DELETE', `/v1/messages/${doomed.id}`);
    expect(await unreadOf('bob', cid)).toMatchObject({ unread: 3, mentions: 2 });
    // alice's last message read carol's for her
    expect(await unreadOf('alice', cid)).toMatchObject({ unread: 0, mentions: 0 });
    expect(await unreadOf('dave', cid)).toMatchObject({ unread: 0, mentions: 0 });

    const unread = await api.unread('bob');
    expect(unread.channels).toEqual([{ cid, unread_count: 3, unread_mentions: 2, last_read_seq: expect.any(Number) }]);
    expect(unread).toMatchObject({ total_unread_count: 3, unread_channels: 1, total_unread_mentions: 2 });
  });

  it('totals across channels in /v1/me/unread and /v1/me; POST /v1/channels/read clears them all', async () => {
    for (const id of ['tot1', 'tot2', 'tot3']) await api.create('carol', { type: 'team', id, members: ['dave'] });
    await api.send('carol', 'team:tot1', 'x');
    await api.send('carol', 'team:tot2', 'x');
    await api.send('carol', 'team:tot2', 'y @dave');
    const before = await api.unread('dave');
    expect(before.channels.map((c: any) => [c.cid, c.unread_count, c.unread_mentions])).toEqual([
      ['team:tot1', 1, 0],
      ['team:tot2', 2, 1],
    ]);
    expect(before).toMatchObject({ total_unread_count: 3, unread_channels: 2, total_unread_mentions: 1 });
    const me = await api.ok('dave', 'GET', '/v1/me');
    expect(me).toMatchObject({ total_unread_count: 3, unread_channels: 2 });
    expect(me.user.id).toBe('dave');

    const all = await api.ok('dave', 'POST', '/v1/channels/read');
    expect(all.marked).toBeGreaterThanOrEqual(2);
    expect(await api.unread('dave')).toMatchObject({ total_unread_count: 0, unread_channels: 0, total_unread_mentions: 0, channels: [] });
    expect(await api.ok('dave', 'GET', '/v1/me')).toMatchObject({ total_unread_count: 0, unread_channels: 0 });
    for (const id of ['tot1', 'tot2', 'tot3', 'counting']) expect((await api.state('dave', `team:${id}`)).unread_count).toBe(0);
    // nothing left: marks nothing
    expect((await api.ok('dave', 'POST', '/v1/channels/read')).marked).toBe(0);
  });
});

describe('message reads', () => {
  it('lists who read a message (not its author), and when', async () => {
    const cid = 'team:receipts';
    await api.create('alice', { type: 'team', id: 'receipts', members: ['bob', 'carol', 'dave'] });
    const first = await api.send('alice', cid, 'first');
    const second = await api.send('alice', cid, 'second');
    expect((await api.ok('alice', 'GET', `/v1/messages/${first.id}/reads`)).reads).toEqual([]);
    await api.markRead('bob', cid, { message_id: first.id });
    await api.markRead('carol', cid);
    const firstReads = (await api.ok('dave', 'GET', `/v1/messages/${first.id}/reads`)).reads;
    expect(firstReads.map((r: any) => r.user_id)).toEqual(['bob', 'carol']);
    expect(firstReads[0]).toMatchObject({ user: { id: 'bob', name: 'Bob' }, last_read_seq: first.seq });
    expect(firstReads.every((r: any) => r.last_read_at)).toBe(true);
    expect((await api.ok('alice', 'GET', `/v1/messages/${second.id}/reads`)).reads.map((r: any) => r.user_id)).toEqual(['carol']);
    // a reply by bob reads everything before it for him
    await api.send('bob', cid, 'reply');
    expect((await api.ok('alice', 'GET', `/v1/messages/${second.id}/reads`)).reads.map((r: any) => r.user_id).sort()).toEqual(['bob', 'carol']);
    expectError(await api.req('dave', 'GET', `/v1/messages/00000000-0000-7000-8000-000000000000/reads`), 404, 'NOT_FOUND');
  });
});
