/**
 * Tenancy: app B's credentials with app A's ids, on every id-taking channel and message route,
 * get 404 (or VALIDATION_ERROR for body ids that name nothing in B) and change nothing in app A.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApp, ch, expectError, SERVER, startWorld, type Api, type World } from './channel-helpers.js';

let w: World;
let a: Api;
let b: Api;
const A = { cid: 'team:shared', root: '', reply: '' };

const TABLES = ['users', 'channel_types', 'channels', 'channel_members', 'messages', 'message_versions', 'reactions', 'user_message_flags', 'user_blocks', 'events'];

/** A digest of every row app A owns, table by table. */
async function fingerprint(appId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    const result = await w.t.server.services.pool.query(`select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from ${table} t where app_id = $1`, [appId]);
    out[table] = `${result.rows[0].n}:${result.rows[0].h}`;
  }
  return out;
}

beforeAll(async () => {
  w = await startWorld({ alice: 'Alice', bob: 'Bob' });
  a = w.api;
  // app B has its own bob (same id, another person) and mallory
  b = (await addApp(w.t, 'other', { mallory: 'Mallory', bob: 'Bob of B' })).api;

  await a.create('alice', { type: 'team', id: 'shared', members: ['bob'], custom: { secret: 'a-only' } });
  const root = await a.send('alice', A.cid, 'secret of app A');
  A.root = root.id;
  A.reply = (await a.send('bob', A.cid, { text: 'thread reply', parent_id: root.id })).id;
  await a.ok('bob', 'POST', `/v1/messages/${root.id}/reactions`, { type: 'like' });
  await a.ok('alice', 'POST', `/v1/messages/${root.id}/pin`, {});
  await a.ok('bob', 'PUT', `/v1/messages/${root.id}/star`);
  await a.ok('alice', 'PATCH', `/v1/messages/${root.id}`, { text: 'secret of app A, edited' });
});
afterAll(() => w.t.close());

interface Route {
  method: string;
  url: () => string;
  body?: () => unknown;
  /** needs a user (server tokens must name one with X-Parley-User) */
  user?: boolean;
}

const routes: Route[] = [
  { method: 'GET', url: () => ch(A.cid) },
  { method: 'GET', url: () => `${ch(A.cid)}?around_id=${A.root}` },
  { method: 'PATCH', url: () => ch(A.cid), body: () => ({ set: { name: 'owned' } }) },
  { method: 'DELETE', url: () => ch(A.cid) },
  { method: 'POST', url: () => `${ch(A.cid)}/truncate` },
  { method: 'POST', url: () => `${ch(A.cid)}/members`, body: () => ({ user_ids: ['mallory'] }) },
  { method: 'POST', url: () => `${ch(A.cid)}/members`, body: () => ({ user_ids: ['bob'] }) },
  { method: 'DELETE', url: () => `${ch(A.cid)}/members`, body: () => ({ user_ids: ['bob'] }) },
  { method: 'PATCH', url: () => `${ch(A.cid)}/members/bob`, body: () => ({ role: 'moderator' }) },
  { method: 'PATCH', url: () => `${ch(A.cid)}/membership`, body: () => ({ starred: true }), user: true },
  { method: 'POST', url: () => `${ch(A.cid)}/read`, body: () => ({}), user: true },
  { method: 'POST', url: () => `${ch(A.cid)}/read`, body: () => ({ message_id: A.root }), user: true },
  { method: 'POST', url: () => `${ch(A.cid)}/delivered`, body: () => ({ seq: 1 }), user: true },
  { method: 'POST', url: () => `${ch(A.cid)}/typing`, body: () => ({ state: 'start' }), user: true },
  { method: 'POST', url: () => `${ch(A.cid)}/messages`, body: () => ({ text: 'intrusion' }), user: true },
  { method: 'POST', url: () => `${ch(A.cid)}/messages`, body: () => ({ text: 'intrusion', parent_id: A.root, quoted_message_id: A.root }), user: true },
  { method: 'GET', url: () => `${ch(A.cid)}/messages` },
  { method: 'GET', url: () => `${ch(A.cid)}/messages?around_id=${A.root}` },
  { method: 'GET', url: () => `/v1/messages/${A.root}` },
  { method: 'PATCH', url: () => `/v1/messages/${A.root}`, body: () => ({ text: 'rewritten' }) },
  { method: 'DELETE', url: () => `/v1/messages/${A.root}` },
  { method: 'DELETE', url: () => `/v1/messages/${A.reply}?hard=true` },
  { method: 'GET', url: () => `/v1/messages/${A.root}/history` },
  { method: 'GET', url: () => `/v1/messages/${A.root}/replies` },
  { method: 'GET', url: () => `/v1/messages/${A.root}/reads` },
  { method: 'POST', url: () => `/v1/messages/${A.root}/reactions`, body: () => ({ type: 'angry' }), user: true },
  { method: 'DELETE', url: () => `/v1/messages/${A.root}/reactions/like`, user: true },
  { method: 'GET', url: () => `/v1/messages/${A.root}/reactions` },
  { method: 'POST', url: () => `/v1/messages/${A.root}/pin`, body: () => ({}) },
  { method: 'DELETE', url: () => `/v1/messages/${A.root}/pin` },
  { method: 'PUT', url: () => `/v1/messages/${A.root}/star`, user: true },
  { method: 'DELETE', url: () => `/v1/messages/${A.root}/star`, user: true },
];

describe('app A ids in paths, with app B credentials', () => {
  const actors: Array<[string, string, Record<string, string> | undefined]> = [
    ['B user mallory', 'mallory', undefined],
    ['B user bob (same id as a member in A)', 'bob', undefined],
    ['B server acting as bob', SERVER, { 'x-parley-user': 'bob' }],
    ['B server', SERVER, undefined],
  ];

  it.each(routes.map((r) => [`${r.method} ${r.url().replace(A.root, ':msg').replace(A.reply, ':reply')}`, r] as const))('%s → 404, nothing changes in A', async (_label, route) => {
    const before = await fingerprint(w.app.appId);
    for (const [label, as, headers] of actors) {
      const res = await b.req(as, route.method, route.url(), route.body?.(), headers);
      if (route.user && as === SERVER && !headers) expectError(res, 400, 'VALIDATION_ERROR');
      else expect([res.status, res.body?.error?.code], `${label}: ${JSON.stringify(res.body)}`).toEqual([404, 'NOT_FOUND']);
    }
    expect(await fingerprint(w.app.appId)).toEqual(before);
  });
});

describe('app A ids in bodies, in app B', () => {
  const own = 'team:b-own';
  beforeAll(async () => {
    await b.create('mallory', { type: 'team', id: 'b-own', members: ['bob'] });
    await b.send('mallory', own, 'b message');
  });

  it('message ids of A name nothing in B', async () => {
    const before = await fingerprint(w.app.appId);
    expectError(await b.req('bob', 'POST', `${ch(own)}/read`, { message_id: A.root }), 404, 'NOT_FOUND');
    expectError(await b.req('bob', 'POST', `${ch(own)}/messages`, { text: 'q', quoted_message_id: A.root }), 400, 'VALIDATION_ERROR');
    expectError(await b.req('bob', 'POST', `${ch(own)}/messages`, { text: 'r', parent_id: A.root }), 400, 'VALIDATION_ERROR');
    expectError(await b.req('bob', 'GET', `${ch(own)}?around_id=${A.root}`), 404, 'NOT_FOUND');
    expectError(await b.req('bob', 'GET', `${ch(own)}/messages?around_id=${A.root}`), 404, 'NOT_FOUND');
    expect((await b.state('bob', own)).messages.map((m: any) => m.text)).toEqual(['b message']);
    expect(await fingerprint(w.app.appId)).toEqual(before);
  });

  it('user ids of A are other people in B: no profile, no mention, no access to A', async () => {
    const before = await fingerprint(w.app.appId);
    const added = await b.addMembers('mallory', own, ['alice']);
    expect(added.members[0].user).toEqual({ id: 'alice', name: null, image: null });
    const sent = await b.send('mallory', own, { text: 'hi @alice', mentioned_user_ids: ['alice'] });
    expect(sent.mentioned_users).toEqual([{ id: 'alice', name: null, image: null }]);
    expect((await b.unread('alice')).channels.map((c: any) => c.cid)).toEqual([own]);
    expect((await a.unread('alice')).channels.map((c: any) => c.cid)).not.toContain(own);
    expectError(await b.req(SERVER, 'GET', ch(A.cid), undefined, { 'x-parley-user': 'nobody-in-b' }), 401, 'UNAUTHORIZED');
    expect(await fingerprint(w.app.appId)).toEqual(before);
  });

  it('get-or-create, query and sync with A’s channel ids stay inside B', async () => {
    const before = await fingerprint(w.app.appId);
    const since = (await b.sync('bob')).cursor;
    const created = await b.req('mallory', 'POST', '/v1/channels', { type: 'team', id: 'shared', members: ['bob'] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.channel).toMatchObject({ cid: 'team:shared', created_by: 'mallory', custom: {} });
    expect(created.body.messages).toEqual([]);
    const distinct = await b.req('mallory', 'POST', '/v1/channels', { type: 'team', members: ['alice', 'bob'] });
    expect(distinct.status).toBe(201);

    for (const as of ['bob', SERVER]) {
      const res = await b.query(as, { filter: { cid: { $in: ['team:shared'] } }, message_limit: 10 });
      expect(res.channels).toHaveLength(1);
      expect(res.channels[0].channel.created_by).toBe('mallory');
      expect(JSON.stringify(res.channels)).not.toContain('secret of app A');
      expect((await b.queryIds(as, { members: { $in: ['alice'] } })).sort()).toEqual(['b-own', distinct.body.channel.id].sort());
    }
    const events = (await b.sync('bob', since, ['team:shared'])).events;
    expect(JSON.stringify(events)).not.toContain('secret of app A');
    expect(events.filter((e: any) => e.seq !== undefined).every((e: any) => e.cid === 'team:shared')).toBe(true);
    // A still sees its own channel exactly as before
    const state = await a.state('bob', A.cid);
    expect(state.channel).toMatchObject({ created_by: 'alice', custom: { secret: 'a-only' } });
    expect(state.messages.map((m: any) => m.text)).toEqual(['secret of app A, edited']);
    expect(await fingerprint(w.app.appId)).toEqual(before);
  });
});
