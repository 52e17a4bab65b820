/** POST /v1/channels/query: every filter operator and field, sorts, keyset pagination, per-channel state. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, SERVER, sleep, startWorld, type Api, type World } from './channel-helpers.js';

let w: World;
let api: Api;
/** created_at of the last message of qa, qb, qd, qe (ms precision), in that order. */
const at: Record<string, string> = {};
const mid = (a: string, b: string) => new Date((Date.parse(a) + Date.parse(b)) / 2).toISOString();

beforeAll(async () => {
  w = await startWorld({ quinn: 'Quinn', bob: 'Bob', carol: 'Carol', dave: 'Dave', zed: 'Zed', pager: 'Pager' });
  api = w.api;
  // quinn's channels: qa..qe; qf is not hers.
  await api.create('quinn', { type: 'messaging', id: 'qa', members: ['bob'], custom: { color: 'red', rank: 1 } });
  await api.create('bob', { type: 'team', id: 'qb', members: ['quinn', 'carol'], custom: { color: 'blue', rank: 2 } });
  await api.create('quinn', { type: 'messaging', id: 'qc', custom: { rank: 3 } });
  await api.create('quinn', { type: 'team', id: 'qd', members: ['carol'], custom: { color: 'green' } });
  await api.create('carol', { type: 'messaging', id: 'qe', members: ['quinn'] });
  await api.create('carol', { type: 'team', id: 'qf', members: ['bob'], custom: { color: 'red' } });

  at.qa = (await api.send('bob', 'messaging:qa', 'a1')).created_at;
  await sleep(15);
  at.qb = (await api.send('quinn', 'team:qb', 'b1')).created_at;
  await api.ok(SERVER, 'PATCH', '/v1/channels/team/qb', { set: { frozen: true } });
  await sleep(15);
  at.qd = (await api.send('carol', 'team:qd', 'd1')).created_at;
  await sleep(15);
  at.qe = (await api.send('carol', 'messaging:qe', 'e1')).created_at;

  await api.membership('quinn', 'messaging:qc', { starred: true, archived: true });
  await api.membership('quinn', 'team:qd', { hidden: true, archived: true });
  await api.membership('quinn', 'messaging:qe', { muted_until: new Date(Date.now() + 3_600_000).toISOString() });
});
afterAll(() => w.t.close());

const sorted = (ids: string[]) => [...ids].sort();

describe('filters', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['empty filter: all but the hidden one', {}, ['qa', 'qb', 'qc', 'qe']],
    ['type', { type: 'team' }, ['qb']],
    ['type $eq', { type: { $eq: 'messaging' } }, ['qa', 'qc', 'qe']],
    ['type $ne', { type: { $ne: 'team' } }, ['qa', 'qc', 'qe']],
    ['type $in', { type: { $in: ['team', 'livestream'] } }, ['qb']],
    ['type $nin', { type: { $nin: ['messaging'] } }, ['qb']],
    ['id $in (not a member of qf)', { id: { $in: ['qa', 'qc', 'qf'] } }, ['qa', 'qc']],
    ['id $nin', { id: { $nin: ['qa'] } }, ['qb', 'qc', 'qe']],
    ['id $gt', { id: { $gt: 'qb' } }, ['qc', 'qe']],
    ['id $gte', { id: { $gte: 'qb' } }, ['qb', 'qc', 'qe']],
    ['id $lt', { id: { $lt: 'qb' } }, ['qa']],
    ['id $lte', { id: { $lte: 'qb' } }, ['qa', 'qb']],
    ['cid', { cid: 'team:qb' }, ['qb']],
    ['cid $in', { cid: { $in: ['messaging:qa', 'team:qa', 'team:qf'] } }, ['qa']],
    ['members $in', { members: { $in: ['carol'] } }, ['qb', 'qe']],
    ['members $in (any of)', { members: { $in: ['bob', 'carol'] } }, ['qa', 'qb', 'qe']],
    ['members $nin', { members: { $nin: ['bob'] } }, ['qc', 'qe']],
    ['created_by', { created_by: 'quinn' }, ['qa', 'qc']],
    ['created_by $ne', { created_by: { $ne: 'quinn' } }, ['qb', 'qe']],
    ['frozen', { frozen: true }, ['qb']],
    ['frozen false', { frozen: false }, ['qa', 'qc', 'qe']],
    ['frozen $ne', { frozen: { $ne: true } }, ['qa', 'qc', 'qe']],
    ['last_message_at $exists false', { last_message_at: { $exists: false } }, ['qc']],
    ['last_message_at $exists true', { last_message_at: { $exists: true } }, ['qa', 'qb', 'qe']],
    ['hidden', { hidden: true }, ['qd']],
    ['hidden false', { hidden: false }, ['qa', 'qb', 'qc', 'qe']],
    ['hidden $in', { hidden: { $in: [true, false] } }, ['qa', 'qb', 'qc', 'qd', 'qe']],
    ['hidden $exists', { hidden: { $exists: true } }, ['qa', 'qb', 'qc', 'qd', 'qe']],
    ['archived', { archived: true }, ['qc']],
    ['archived, hidden named', { archived: true, hidden: { $in: [true, false] } }, ['qc', 'qd']],
    ['archived $ne', { archived: { $ne: true } }, ['qa', 'qb', 'qe']],
    ['starred', { starred: true }, ['qc']],
    ['starred $nin', { starred: { $nin: [true] } }, ['qa', 'qb', 'qe']],
    ['muted', { muted: true }, ['qe']],
    ['muted false', { muted: false }, ['qa', 'qb', 'qc']],
    ['has_unread', { has_unread: true }, ['qa', 'qe']],
    ['has_unread false', { has_unread: false }, ['qb', 'qc']],
    ['has_unread, hidden named', { has_unread: true, hidden: true }, ['qd']],
    ['custom $eq', { color: 'red' }, ['qa']],
    ['custom. prefix', { 'custom.color': { $eq: 'blue' } }, ['qb']],
    ['custom $in', { color: { $in: ['red', 'blue'] } }, ['qa', 'qb']],
    ['custom $nin (missing counts)', { color: { $nin: ['red'] } }, ['qb', 'qc', 'qe']],
    ['custom $ne', { rank: { $ne: 1 } }, ['qb', 'qc', 'qe']],
    ['custom $exists false', { color: { $exists: false } }, ['qc', 'qe']],
    ['custom $exists true', { 'custom.rank': { $exists: true } }, ['qa', 'qb', 'qc']],
    ['custom $gt', { rank: { $gt: 1 } }, ['qb', 'qc']],
    ['custom $gte/$lt', { rank: { $gte: 2, $lt: 3 } }, ['qb']],
    ['custom $lte', { rank: { $lte: 1 } }, ['qa']],
    ['custom range compares like with like: a number bound never matches strings', { color: { $gt: 5 } }, []],
    ['custom range on strings', { color: { $gte: 'c' } }, ['qa']],
    ['$and', { $and: [{ type: 'messaging' }, { has_unread: true }] }, ['qa', 'qe']],
    ['$or', { $or: [{ frozen: true }, { starred: true }] }, ['qb', 'qc']],
    ['nested', { $or: [{ $and: [{ type: 'team' }, { frozen: true }] }, { color: 'red' }] }, ['qa', 'qb']],
    ['$or naming hidden', { $or: [{ hidden: true }, { id: 'qa' }] }, ['qa', 'qd']],
    ['a value "hidden" does not name the field', { color: { $nin: ['hidden'] } }, ['qa', 'qb', 'qc', 'qe']],
  ];
  it.each(cases)('%s', async (_label, filter, expected) => {
    expect(sorted(await api.queryIds('quinn', filter))).toEqual(expected);
  });

  it('last_message_at comparisons', async () => {
    const q = (cond: Record<string, string>) => api.queryIds('quinn', { last_message_at: cond, hidden: { $in: [true, false] } }).then(sorted);
    expect(await q({ $gt: mid(at.qb!, at.qd!) })).toEqual(['qd', 'qe']);
    expect(await q({ $gte: at.qd! })).toEqual(['qd', 'qe']);
    expect(await q({ $lt: at.qd! })).toEqual(['qa', 'qb']);
    expect(await q({ $lte: mid(at.qb!, at.qd!) })).toEqual(['qa', 'qb']);
    expect(await q({ $gt: mid(at.qa!, at.qb!), $lt: mid(at.qd!, at.qe!) })).toEqual(['qb', 'qd']);
    expect(await q({ $ne: mid(at.qa!, at.qb!) })).toHaveLength(5);
  });

  it('a server token sees every channel; a user with no channels sees none; bad filters are VALIDATION_ERROR', async () => {
    expect(sorted(await api.queryIds(SERVER, { id: { $in: ['qa', 'qf'] } }))).toEqual(['qa', 'qf']);
    expect(sorted(await api.queryIds(SERVER, { color: 'red' }))).toEqual(['qa', 'qf']);
    expect(await api.queryIds('zed', {})).toEqual([]);
    for (const filter of [{ last_message_at: { $gt: 'yesterday' } }, { frozen: { $regex: 'x' } }, { members: { $in: [] } }, { $or: [] }, { frozen: 'yes' }]) {
      expectError(await api.req('quinn', 'POST', '/v1/channels/query', { filter }), 400, 'VALIDATION_ERROR');
    }
    expectError(await api.req('quinn', 'POST', '/v1/channels/query', { sort: [{ field: 'name', direction: 1 }] }), 400, 'VALIDATION_ERROR');
  });
});

describe('sorting and pagination', () => {
  const others = ['bob', 'carol', 'dave'];
  const N = 35;
  beforeAll(async () => {
    for (let i = 0; i < N; i++) {
      const id = `p${String(i).padStart(2, '0')}`;
      await api.create(SERVER, { type: 'team', id, members: ['pager', ...others.slice(0, i % 4)] });
    }
    // messages in a shuffled channel order, so last_message_at order differs from created_at order
    for (let k = 0; k < N; k++) {
      const i = (k * 13) % N;
      const count = (i * 7) % 4;
      for (let j = 0; j < count; j++) await api.send(i % 4 ? 'bob' : 'pager', `team:p${String(i).padStart(2, '0')}`, `p${i}-${j}`);
    }
  });

  type Sort = Array<{ field: string; direction: 1 | -1 }>;
  const key = (state: any, field: string): number => {
    const c = state.channel;
    switch (field) {
      case 'last_message_at':
        return Date.parse(c.last_message_at ?? c.created_at);
      case 'created_at':
      case 'updated_at':
        return Date.parse(c[field]);
      case 'unread_count':
        return state.unread_count;
      default:
        return state.member_count;
    }
  };

  async function pages(sort: Sort, limit: number): Promise<any[]> {
    const all: any[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 20; n++) {
      const res = await api.query('pager', { filter: { type: 'team' }, sort, limit, message_limit: 0, ...(cursor ? { cursor } : {}) });
      expect(res.channels.length).toBeLessThanOrEqual(limit);
      all.push(...res.channels);
      if (!res.next) return all;
      cursor = res.next;
    }
    throw new Error('no end');
  }

  const sorts: Sort[] = [];
  for (const field of ['last_message_at', 'created_at', 'updated_at', 'unread_count', 'member_count']) {
    for (const direction of [1, -1] as const) sorts.push([{ field, direction }]);
  }
  sorts.push([{ field: 'member_count', direction: -1 }, { field: 'last_message_at', direction: 1 }]);
  sorts.push([{ field: 'unread_count', direction: 1 }, { field: 'created_at', direction: -1 }]);

  it.each(sorts.map((s) => [s.map((x) => `${x.field}:${x.direction}`).join(','), s] as const))('sort %s, 35 channels in pages of 10: each once, in order', async (_label, sort) => {
    const paged = await pages(sort, 10);
    const ids = paged.map((s) => s.channel.id);
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
    const whole = await api.query('pager', { filter: { type: 'team' }, sort, limit: 100, message_limit: 0 });
    expect(ids).toEqual(whole.channels.map((s: any) => s.channel.id));
    for (let i = 1; i < paged.length; i++) {
      const [a, b] = [paged[i - 1], paged[i]];
      for (const { field, direction } of sort) {
        const [ka, kb] = [key(a, field), key(b, field)];
        if (ka === kb) continue;
        expect(direction * (kb - ka), `${field} between ${a.channel.id} and ${b.channel.id}`).toBeGreaterThan(0);
        break;
      }
      // integer keys tie: then by id in the direction of the last key
      if (sort.every(({ field }) => key(a, field) === key(b, field)) && !sort.some((s) => s.field.endsWith('_at'))) {
        const last = sort[sort.length - 1]!.direction;
        expect(last * a.channel.id.localeCompare(b.channel.id)).toBeLessThan(0);
      }
    }
  });

  it('the default sort is last_message_at descending', async () => {
    const res = await api.query('pager', { filter: { type: 'team' }, limit: 100, message_limit: 0 });
    const explicit = await api.query('pager', { filter: { type: 'team' }, limit: 100, message_limit: 0, sort: [{ field: 'last_message_at', direction: -1 }] });
    expect(res.channels.map((s: any) => s.channel.id)).toEqual(explicit.channels.map((s: any) => s.channel.id));
  });

  it('a cursor is only valid for the sort that made it', async () => {
    const first = await api.query('pager', { filter: { type: 'team' }, limit: 5, sort: [{ field: 'created_at', direction: 1 }] });
    expect(first.next).toBeTruthy();
    const res = await api.req('pager', 'POST', '/v1/channels/query', { filter: { type: 'team' }, limit: 5, cursor: first.next, sort: [{ field: 'member_count', direction: 1 }] });
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('each result carries its last messages, unread count, own membership, member count and first members', async () => {
    const res = await api.query('pager', { filter: { type: 'team' }, limit: 100, message_limit: 2, member_limit: 2 });
    expect(res.channels).toHaveLength(N);
    for (const state of res.channels) {
      const i = Number(state.channel.id.slice(1));
      const count = (i * 7) % 4;
      const expected = Array.from({ length: count }, (_, j) => `p${i}-${j}`).slice(-2);
      expect(state.messages.map((m: any) => m.text)).toEqual(expected);
      expect(state.has_more_before).toBe(count > 2);
      expect(state.member_count).toBe(1 + (i % 4));
      expect(state.members).toHaveLength(Math.min(2, 1 + (i % 4)));
      expect(state.membership).toMatchObject({ user_id: 'pager', role: 'member' });
      expect(state.unread_count).toBe(i % 4 ? count : 0);
      expect(state.read.map((r: any) => r.user_id)).toContain('pager');
    }
    const full = await api.state('pager', 'team:p03', 'member_limit=10');
    expect(full.members.map((m: any) => m.user_id).sort()).toEqual(['bob', 'carol', 'dave', 'pager']);
  });
});
