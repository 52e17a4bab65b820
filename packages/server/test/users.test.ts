import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp, type TestServer } from '../../../test/support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

type Json = Record<string, any>;

function upsert(app: TestApp, users: Json[], token = app.serverToken) {
  return t.request('POST', '/v1/users', { token, body: { users } });
}

function query(token: string, params: Record<string, unknown> = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) search.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const qs = search.toString();
  return t.request('GET', `/v1/users${qs ? `?${qs}` : ''}`, { token });
}

async function ids(token: string, params: Record<string, unknown> = {}): Promise<string[]> {
  const res = await query(token, { limit: '200', ...params });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.users.map((u: Json) => u.id);
}

/** Every page of a query, following `next` until it is null. */
async function allPages(token: string, params: Record<string, unknown>): Promise<{ ids: string[]; pages: number[] }> {
  const seen: string[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const res = await query(token, { ...params, cursor });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    seen.push(...res.body.users.map((u: Json) => u.id));
    pages.push(res.body.users.length);
    if (res.body.next === null) return { ids: seen, pages };
    expect(typeof res.body.next).toBe('string');
    cursor = res.body.next;
  }
  throw new Error('pagination did not end');
}

function expectValidation(res: { status: number; body: any }, field?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.error.code).toBe('VALIDATION_ERROR');
  if (field !== undefined) expect(res.body.error.details.field).toBe(field);
}

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
}

describe('POST /v1/users (batch upsert)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await t.createApp('upsert');
  });

  it('creates users and returns them in the order given, with defaults', async () => {
    const res = await upsert(app, [
      { id: 'alice', name: 'Alice', image: 'https://img/a.png', custom: { team: 'u12' } },
      { id: 'bob' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.users.map((u: Json) => u.id)).toEqual(['alice', 'bob']);
    const [alice, bob] = res.body.users;
    expect(alice).toMatchObject({ id: 'alice', name: 'Alice', image: 'https://img/a.png', role: 'user', custom: { team: 'u12' }, deactivated_at: null, deleted_at: null });
    expect(Date.parse(alice.created_at)).not.toBeNaN();
    expect(bob).toMatchObject({ id: 'bob', name: null, image: null, role: 'user', custom: {} });
  });

  it('keeps stored values for fields left out, and changes the given ones', async () => {
    await upsert(app, [{ id: 'keep', name: 'Keeper', image: 'https://img/k.png', custom: { a: 1 } }]);
    const res = await upsert(app, [{ id: 'keep', custom: { b: 2 } }]);
    expect(res.body.users[0]).toMatchObject({ name: 'Keeper', image: 'https://img/k.png', role: 'user', custom: { b: 2 } });
    const again = await upsert(app, [{ id: 'keep', name: null }]);
    expect(again.body.users[0]).toMatchObject({ name: null, image: 'https://img/k.png', custom: { b: 2 } });
    const got = await t.request('GET', '/v1/users/keep', { token: app.serverToken });
    expect(got.body.user).toMatchObject({ name: null, image: 'https://img/k.png', custom: { b: 2 } });
  });

  it('accepts 100 users in one call and refuses 101, naming `users`', async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => ({ id: `bulk${i}` }));
    const ok = await upsert(app, hundred);
    expect(ok.status).toBe(200);
    expect(ok.body.users).toHaveLength(100);
    const tooMany = await upsert(app, [...hundred, { id: 'bulk100' }]);
    expectValidation(tooMany, 'users');
    expect((await t.request('GET', '/v1/users/bulk100', { token: app.serverToken })).status).toBe(404);
  });

  it('refuses an empty list and unknown fields', async () => {
    expectValidation(await upsert(app, []), 'users');
    expectValidation(await upsert(app, [{ id: 'x1', created_at: '2020-01-01T00:00:00Z' }]), 'users[0].created_at');
    expectValidation(await t.request('POST', '/v1/users', { token: app.serverToken, body: { users: [{ id: 'x2' }], app_id: 'other' } }), 'app_id');
  });

  it('refuses duplicate ids in one call and writes nothing', async () => {
    const res = await upsert(app, [{ id: 'dup', name: 'one' }, { id: 'other-dup' }, { id: 'dup', name: 'two' }]);
    expectValidation(res, 'users[2].id');
    expect((await t.request('GET', '/v1/users/dup', { token: app.serverToken })).status).toBe(404);
    expect((await t.request('GET', '/v1/users/other-dup', { token: app.serverToken })).status).toBe(404);
  });

  it('refuses an unknown role, naming the field, and writes nothing', async () => {
    const res = await upsert(app, [{ id: 'coach1', role: 'coach' }]);
    expectValidation(res, 'users[0].role');
    const second = await upsert(app, [{ id: 'fine' }, { id: 'coach2', role: 'coach' }]);
    expectValidation(second, 'users[1].role');
    expect((await t.request('GET', '/v1/users/fine', { token: app.serverToken })).status).toBe(404);
    expectValidation(await upsert(app, [{ id: 'bad-role', role: 'Not A Role' }]), 'users[0].role');
  });

  it('accepts custom roles once the app defines them', async () => {
    const patch = await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { roles: ['coach', 'player'] } } });
    expect(patch.status).toBe(200);
    const res = await upsert(app, [
      { id: 'coach-kim', role: 'coach' },
      { id: 'player-lee', role: 'player' },
      { id: 'admin-ann', role: 'admin' },
      { id: 'guest-gus', role: 'guest' },
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.users.map((u: Json) => u.role)).toEqual(['coach', 'player', 'admin', 'guest']);
    expectValidation(await upsert(app, [{ id: 'trainer-tom', role: 'trainer' }]), 'users[0].role');
  });

  it('does not accept a channel member role as an app role', async () => {
    await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { roles: ['coach', 'player', 'owner'] } } });
    expectValidation(await upsert(app, [{ id: 'sneaky', role: 'owner' }]), 'users[0].role');
    expectValidation(await upsert(app, [{ id: 'sneaky', role: 'moderator' }]), 'users[0].role');
    await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { roles: ['coach', 'player'] } } });
  });

  it('is for server tokens only', async () => {
    const token = await app.token('alice');
    expectError(await upsert(app, [{ id: 'mallory', role: 'admin' }], token), 403, 'PERMISSION_DENIED');
    expectError(await t.request('POST', '/v1/users', { body: { users: [{ id: 'anon' }] } }), 401, 'UNAUTHORIZED');
  });
});

describe('GET /v1/users/{id}', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await t.createApp('get');
    await app.upsertUsers([{ id: 'alice', name: 'Alice' }, { id: 'bob', name: 'Bob' }]);
  });

  it('returns a user to the server and to any user of the app', async () => {
    const byServer = await t.request('GET', '/v1/users/alice', { token: app.serverToken });
    expect(byServer.status).toBe(200);
    expect(byServer.body.user).toMatchObject({ id: 'alice', name: 'Alice' });
    const byBob = await t.request('GET', '/v1/users/alice', { token: await app.token('bob') });
    expect(byBob.status).toBe(200);
    expect(byBob.body.user.name).toBe('Alice');
  });

  it('is 404 for an unknown user', async () => {
    expectError(await t.request('GET', '/v1/users/nobody', { token: app.serverToken }), 404, 'NOT_FOUND');
  });

  it('needs credentials', async () => {
    expectError(await t.request('GET', '/v1/users/alice'), 401, 'UNAUTHORIZED');
  });
});

describe('GET /v1/users (filter, sort, cursor)', () => {
  let app: TestApp;
  let server: string;
  beforeAll(async () => {
    app = await t.createApp('query');
    server = app.serverToken;
    await t.request('PATCH', '/v1/app', { token: server, body: { settings: { roles: ['coach', 'player'] } } });
    await app.upsertUsers([
      { id: 'alice', name: 'Alice', role: 'coach', custom: { team: 'u12', number: 1 } },
      { id: 'albert', name: 'albert', role: 'player', custom: { team: 'u12', number: 7 } },
      { id: 'alfred', name: 'ALFRED', role: 'player', custom: { team: 'u14', number: 9 } },
      { id: 'bob', name: 'Bob', role: 'player', custom: { team: 'u14' } },
      { id: 'carol', name: 'Carol', role: 'user' },
      { id: 'pct', name: 'al%fa', role: 'user' },
      { id: 'usc', name: 'al_fa', role: 'user' },
      { id: 'alxfa', name: 'alxfa', role: 'user' },
      { id: 'nameless', role: 'guest' },
    ]);
  });

  it('returns every user with no filter', async () => {
    expect((await ids(server)).sort()).toEqual(['albert', 'alfred', 'alice', 'alxfa', 'bob', 'carol', 'nameless', 'pct', 'usc']);
  });

  it('filters on id $in', async () => {
    expect((await ids(server, { filter: { id: { $in: ['bob', 'carol', 'ghost'] } } })).sort()).toEqual(['bob', 'carol']);
    expect(await ids(server, { filter: { id: { $in: [] } } })).toEqual([]);
    expect(await ids(server, { filter: { id: 'alice' } })).toEqual(['alice']);
  });

  it('filters on role, equal and $in', async () => {
    expect(await ids(server, { filter: { role: 'coach' } })).toEqual(['alice']);
    expect(await ids(server, { filter: { role: { $eq: 'guest' } } })).toEqual(['nameless']);
    expect((await ids(server, { filter: { role: { $in: ['coach', 'guest'] } } })).sort()).toEqual(['alice', 'nameless']);
    expect((await ids(server, { filter: { role: { $nin: ['user', 'player'] } } })).sort()).toEqual(['alice', 'nameless']);
  });

  it('autocompletes names by case-insensitive prefix', async () => {
    expect((await ids(server, { filter: { name: { $autocomplete: 'al' } } })).sort()).toEqual(['albert', 'alfred', 'alice', 'alxfa', 'pct', 'usc']);
    expect((await ids(server, { filter: { name: { $autocomplete: 'AL' } } })).sort()).toEqual(['albert', 'alfred', 'alice', 'alxfa', 'pct', 'usc']);
    expect((await ids(server, { filter: { name: { $autocomplete: 'alf' } } })).sort()).toEqual(['alfred']);
    expect(await ids(server, { filter: { name: { $autocomplete: 'lice' } } })).toEqual([]);
  });

  it('treats % and _ in the prefix literally', async () => {
    expect(await ids(server, { filter: { name: { $autocomplete: 'al%' } } })).toEqual(['pct']);
    expect(await ids(server, { filter: { name: { $autocomplete: 'al_' } } })).toEqual(['usc']);
    expect(await ids(server, { filter: { name: { $autocomplete: '%' } } })).toEqual([]);
    expect(await ids(server, { filter: { name: { $autocomplete: '_' } } })).toEqual([]);
    expect(await ids(server, { filter: { name: { $autocomplete: 'al\\' } } })).toEqual([]);
  });

  it('filters on custom fields, with or without the `custom.` prefix', async () => {
    expect((await ids(server, { filter: { 'custom.team': 'u12' } })).sort()).toEqual(['albert', 'alice']);
    expect((await ids(server, { filter: { team: 'u12' } })).sort()).toEqual(['albert', 'alice']);
    expect((await ids(server, { filter: { team: { $in: ['u14'] } } })).sort()).toEqual(['alfred', 'bob']);
    expect((await ids(server, { filter: { number: { $gte: 7 } } })).sort()).toEqual(['albert', 'alfred']);
    expect((await ids(server, { filter: { team: { $exists: true } } })).sort()).toEqual(['albert', 'alfred', 'alice', 'bob']);
    expect((await ids(server, { filter: { team: { $exists: false } } })).sort()).toEqual(['alxfa', 'carol', 'nameless', 'pct', 'usc']);
  });

  it('$ne on a custom field includes users without it', async () => {
    expect((await ids(server, { filter: { team: { $ne: 'u12' } } })).sort()).toEqual(['alfred', 'alxfa', 'bob', 'carol', 'nameless', 'pct', 'usc']);
    expect((await ids(server, { filter: { team: { $nin: ['u12'] } } })).sort()).toEqual(['alfred', 'alxfa', 'bob', 'carol', 'nameless', 'pct', 'usc']);
  });

  it('combines conditions with $or and $and', async () => {
    expect((await ids(server, { filter: { $or: [{ role: 'coach' }, { team: 'u14' }] } })).sort()).toEqual(['alfred', 'alice', 'bob']);
    expect(await ids(server, { filter: { $and: [{ role: 'player' }, { team: 'u14' }, { name: { $autocomplete: 'al' } }] } })).toEqual(['alfred']);
    expect(await ids(server, { filter: { role: 'player', $or: [{ team: 'u12' }, { id: 'bob' }] } })).toEqual(expect.arrayContaining(['albert', 'bob']));
    expect((await ids(server, { filter: { role: 'player', $or: [{ team: 'u12' }, { id: 'bob' }] } })).length).toBe(2);
  });

  it('sorts by name ascending and descending, case-insensitively', async () => {
    const named = { filter: { id: { $in: ['alice', 'albert', 'alfred', 'bob', 'carol'] } } };
    expect(await ids(server, { ...named, sort: 'name' })).toEqual(['albert', 'alfred', 'alice', 'bob', 'carol']);
    expect(await ids(server, { ...named, sort: '-name' })).toEqual(['carol', 'bob', 'alice', 'alfred', 'albert']);
    expect(await ids(server, { ...named, sort: [{ field: 'name', direction: 1 }] })).toEqual(['albert', 'alfred', 'alice', 'bob', 'carol']);
    expect(await ids(server, { ...named, sort: [{ field: 'name', direction: -1 }] })).toEqual(['carol', 'bob', 'alice', 'alfred', 'albert']);
    expect(await ids(server, { ...named, sort: { field: 'name', direction: -1 } })).toEqual(['carol', 'bob', 'alice', 'alfred', 'albert']);
  });

  it('sorts by created_at', async () => {
    const sortApp = await t.createApp('created-sort');
    await sortApp.upsertUsers([{ id: 'zed' }]);
    await sortApp.upsertUsers([{ id: 'mia' }]);
    await sortApp.upsertUsers([{ id: 'abe' }]);
    expect(await ids(sortApp.serverToken, { sort: 'created_at' })).toEqual(['zed', 'mia', 'abe']);
    expect(await ids(sortApp.serverToken, { sort: '-created_at' })).toEqual(['abe', 'mia', 'zed']);
    expect(await ids(sortApp.serverToken)).toEqual(['zed', 'mia', 'abe']);
  });

  it('rejects bad filters and sorts with VALIDATION_ERROR', async () => {
    expectValidation(await query(server, { filter: '{"role": ' }), 'filter');
    expectValidation(await query(server, { filter: '[1,2]' }), 'filter');
    expectValidation(await query(server, { filter: { role: { $regex: 'co.*' } } }), 'filter.role');
    expectValidation(await query(server, { filter: { team: { $regex: 'u1' } } }), 'filter.team');
    expectValidation(await query(server, { filter: { id: { $autocomplete: 'al' } } }), 'filter.id');
    expectValidation(await query(server, { filter: { $nor: [{ role: 'coach' }] } }), 'filter.$nor');
    expectValidation(await query(server, { filter: { $or: [] } }), 'filter.$or');
    expectValidation(await query(server, { filter: { role: 5 } }), 'filter.role');
    expectValidation(await query(server, { filter: { created_at: { $gt: 'yesterday' } } }), 'filter.created_at');
    expectValidation(await query(server, { filter: { created_at: { $gt: '1' } } }), 'filter.created_at');
    expectValidation(await query(server, { filter: { created_at: { $gt: '2026-02-30' } } }), 'filter.created_at');
    expectValidation(await query(server, { filter: { name: { toString: 'x' } } }), 'filter.name');
    expectValidation(await query(server, { filter: { team: { constructor: 'x' } } }), 'filter.team');
    expectValidation(await query(server, { filter: { team: { $exists: 'yes' } } }), 'filter.team.$exists');
    expectValidation(await query(server, { sort: 'constructor' }), 'sort[0].field');
    expectValidation(await query(server, { sort: [{ field: 'toString', direction: 1 }] }), 'sort[0].field');
    expectValidation(await query(server, { sort: 'password' }), 'sort[0].field');
    expectValidation(await query(server, { sort: '[{"field":"name"' }), 'sort');
    expectValidation(await query(server, { sort: [{ field: 'name', direction: 2 }] }), 'sort[0]');
    expectValidation(await query(server, { limit: '0' }));
    expectValidation(await query(server, { limit: '201' }));
    expectValidation(await query(server, { bogus: '1' }), 'bogus');
  });

  it('filters on timestamps', async () => {
    expect((await ids(server, { filter: { created_at: { $lt: '2000-01-01T00:00:00Z' } } }))).toEqual([]);
    expect((await ids(server, { filter: { created_at: { $gte: '2000-01-01' } } })).length).toBe(9);
    expect((await ids(server, { filter: { deactivated_at: { $exists: false } } })).length).toBe(9);
  });

  it('treats odd field names as custom fields, not as object internals', async () => {
    expect(await ids(server, { filter: { constructor: 'x' } })).toEqual([]);
    expect(await ids(server, { filter: { toString: { $exists: true } } })).toEqual([]);
  });

  it('rejects a forged cursor, or one from another sort, with VALIDATION_ERROR', async () => {
    const byCreated = await query(server, { sort: 'created_at', limit: '2' });
    const text = Buffer.from(byCreated.body.next, 'base64url').toString('utf8');
    expect(text).toMatch(/"\d{4}-\d\d-\d\d[^"]*"/);
    const tampered = Buffer.from(text.replace(/"\d{4}-\d\d-\d\d[^"]*"/, '"not-a-time"')).toString('base64url');
    expectValidation(await query(server, { sort: 'created_at', limit: '2', cursor: tampered }), 'cursor');

    const first = await query(server, { sort: 'name', limit: '2' });
    expect(first.body.next).toEqual(expect.any(String));
    expectValidation(await query(server, { sort: 'created_at', limit: '2', cursor: first.body.next }), 'cursor');
    expectValidation(await query(server, { sort: '-name', limit: '2', cursor: first.body.next }), 'cursor');
    expectValidation(await query(server, { limit: '2', cursor: 'not a cursor!' }), 'cursor');
    const forged = Buffer.from(JSON.stringify(['not-a-time', 'x'])).toString('base64url');
    expectValidation(await query(server, { limit: '2', cursor: forged }), 'cursor');
  });

  it('lets plain users query too', async () => {
    const token = await app.token('bob');
    expect((await ids(token, { filter: { role: 'coach' } }))).toEqual(['alice']);
  });
});

describe('cursor pagination', () => {
  let app: TestApp;
  const names: Record<string, string | null> = {};
  let expectedByName: string[];
  let expectedByCreated: string[];

  beforeAll(async () => {
    app = await t.createApp('pages');
    // 25 users in three batches (created_at ties inside a batch), with repeated and missing names.
    const pool = ['delta', 'Alpha', 'charlie', 'bravo', 'alpha', 'echo', null, 'Bravo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'alpha', 'quebec', 'romeo', null, 'sierra', 'tango'];
    const all = pool.map((name, i) => ({ id: `p${String((i * 7) % 25).padStart(2, '0')}`, name }));
    for (const u of all) names[u.id] = u.name;
    const batches = [all.slice(0, 9), all.slice(9, 17), all.slice(17)];
    expectedByCreated = [];
    for (const batch of batches) {
      await app.upsertUsers(batch.map((u) => (u.name === null ? { id: u.id } : u)) as never);
      expectedByCreated.push(...batch.map((u) => u.id).sort());
    }
    const key = (id: string) => (names[id] ?? '').toLowerCase();
    expectedByName = Object.keys(names).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a < b ? -1 : a > b ? 1 : 0));
  });

  it('walks 25 users by name with limit 7, each exactly once, in order, both directions', async () => {
    const asc = await allPages(app.serverToken, { sort: 'name', limit: '7' });
    expect(asc.pages).toEqual([7, 7, 7, 4]);
    expect(asc.ids).toEqual(expectedByName);
    const desc = await allPages(app.serverToken, { sort: '-name', limit: '7' });
    expect(desc.pages).toEqual([7, 7, 7, 4]);
    expect(desc.ids).toEqual([...expectedByName].reverse());
    const jsonDesc = await allPages(app.serverToken, { sort: [{ field: 'name', direction: -1 }], limit: '7' });
    expect(jsonDesc.ids).toEqual([...expectedByName].reverse());
  });

  it('walks by created_at (ties broken by id) in both directions', async () => {
    const asc = await allPages(app.serverToken, { sort: 'created_at', limit: '7' });
    expect(asc.ids).toEqual(expectedByCreated);
    const desc = await allPages(app.serverToken, { sort: '-created_at', limit: '7' });
    expect(desc.ids).toEqual([...expectedByCreated].reverse());
  });

  it('ends without an empty page when the count divides evenly', async () => {
    const walk = await allPages(app.serverToken, { sort: 'id', limit: '5' });
    expect(walk.pages).toEqual([5, 5, 5, 5, 5]);
    expect(walk.ids).toEqual(Object.keys(names).sort());
  });

  it('keeps the filter while paging', async () => {
    const walk = await allPages(app.serverToken, { filter: { name: { $autocomplete: 'a' } }, sort: 'name', limit: '2' });
    expect(walk.ids).toEqual(expectedByName.filter((id) => names[id]?.toLowerCase().startsWith('a')));
    expect(walk.ids).toHaveLength(3);
  });
});

describe('deactivated users in queries', () => {
  it('are hidden from plain users and shown to the server with include_deactivated=true', async () => {
    const app = await t.createApp('deactivated-query');
    await app.upsertUsers([{ id: 'active' }, { id: 'gone' }, { id: 'viewer' }]);
    const deact = await t.request('POST', '/v1/users/gone/deactivate', { token: app.serverToken });
    expect(deact.status).toBe(200);
    expect(deact.body.user.deactivated_at).toEqual(expect.any(String));

    const viewer = await app.token('viewer');
    expect((await ids(viewer)).sort()).toEqual(['active', 'viewer']);
    expect((await ids(viewer, { include_deactivated: 'true' })).sort()).toEqual(['active', 'viewer']);
    expect((await ids(app.serverToken)).sort()).toEqual(['active', 'viewer']);
    expect((await ids(app.serverToken, { include_deactivated: 'true' })).sort()).toEqual(['active', 'gone', 'viewer']);
    // A plain user cannot fetch the deactivated user directly either; the server can.
    expectError(await t.request('GET', '/v1/users/gone', { token: viewer }), 404, 'NOT_FOUND');
    expect((await t.request('GET', '/v1/users/gone', { token: app.serverToken })).body.user.id).toBe('gone');
  });
});

describe('PATCH /v1/users/{id}', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await t.createApp('patch');
    await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { roles: ['coach', 'player'] } } });
    await app.upsertUsers([
      { id: 'alice', name: 'Alice', custom: { team: 'u12', number: 10, prefs: { sound: null, theme: 'dark' } } },
      { id: 'bob', name: 'Bob' },
    ]);
  });

  it('lets a user change their own name, image and custom fields', async () => {
    const token = await app.token('alice');
    const res = await t.request('PATCH', '/v1/users/alice', { token, body: { name: 'Alice L.', image: 'https://img/new.png' } });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: 'alice', name: 'Alice L.', image: 'https://img/new.png', role: 'user' });
    expect((await t.request('GET', '/v1/users/alice', { token })).body.user.name).toBe('Alice L.');
  });

  it('merges custom key by key; a null value removes the key; other nulls are kept', async () => {
    const token = await app.token('alice');
    const res = await t.request('PATCH', '/v1/users/alice', { token, body: { custom: { number: null, position: 'keeper' } } });
    expect(res.status).toBe(200);
    expect(res.body.user.custom).toEqual({ team: 'u12', position: 'keeper', prefs: { sound: null, theme: 'dark' } });
    const again = await t.request('PATCH', '/v1/users/alice', { token, body: { custom: { team: 'u14' } } });
    expect(again.body.user.custom).toEqual({ team: 'u14', position: 'keeper', prefs: { sound: null, theme: 'dark' } });
    const untouched = await t.request('PATCH', '/v1/users/alice', { token, body: { name: 'Alice' } });
    expect(untouched.body.user.custom).toEqual({ team: 'u14', position: 'keeper', prefs: { sound: null, theme: 'dark' } });
  });

  it('refuses a self update of role, naming `role`, and changes nothing', async () => {
    const token = await app.token('bob');
    const res = await t.request('PATCH', '/v1/users/bob', { token, body: { name: 'Boss', role: 'admin' } });
    expectValidation(res, 'role');
    const me = await t.request('GET', '/v1/me', { token });
    expect(me.body.user).toMatchObject({ name: 'Bob', role: 'user' });
  });

  it('refuses unknown fields', async () => {
    const token = await app.token('bob');
    expectValidation(await t.request('PATCH', '/v1/users/bob', { token, body: { deactivated_at: null } }), 'deactivated_at');
    expectValidation(await t.request('PATCH', '/v1/users/bob', { token: app.serverToken, body: { id: 'robert' } }), 'id');
  });

  it("refuses a plain user's update of another user (403), and of an unknown one (404)", async () => {
    const token = await app.token('bob');
    expectError(await t.request('PATCH', '/v1/users/alice', { token, body: { name: 'hacked' } }), 403, 'PERMISSION_DENIED');
    expect((await t.request('GET', '/v1/users/alice', { token })).body.user.name).not.toBe('hacked');
    expectError(await t.request('PATCH', '/v1/users/nobody', { token, body: { name: 'x' } }), 404, 'NOT_FOUND');
    expectError(await t.request('PATCH', '/v1/users/nobody', { token: app.serverToken, body: { name: 'x' } }), 404, 'NOT_FOUND');
  });

  it('lets the server set the role, custom roles included, but not an unknown one', async () => {
    const res = await t.request('PATCH', '/v1/users/bob', { token: app.serverToken, body: { role: 'coach' } });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ role: 'coach', name: 'Bob' });
    expectValidation(await t.request('PATCH', '/v1/users/bob', { token: app.serverToken, body: { role: 'captain' } }), 'role');
    expect((await t.request('GET', '/v1/me', { token: await app.token('bob') })).body.user.role).toBe('coach');
  });

  it('lets an app admin update other users and their role', async () => {
    await app.upsertUsers([{ id: 'boss', role: 'admin' }]);
    const token = await app.token('boss');
    const res = await t.request('PATCH', '/v1/users/bob', { token, body: { role: 'player', name: 'Bobby' } });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ role: 'player', name: 'Bobby' });
  });
});

describe('deactivate and reactivate', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await t.createApp('deactivate');
    await app.upsertUsers([{ id: 'alice' }, { id: 'bob' }, { id: 'boss', role: 'admin' }]);
  });

  it('is refused to plain users (403; 404 for unknown users)', async () => {
    const token = await app.token('bob');
    expectError(await t.request('POST', '/v1/users/alice/deactivate', { token }), 403, 'PERMISSION_DENIED');
    expectError(await t.request('POST', '/v1/users/alice/reactivate', { token }), 403, 'PERMISSION_DENIED');
    expectError(await t.request('POST', '/v1/users/nobody/deactivate', { token }), 404, 'NOT_FOUND');
    expect((await t.request('GET', '/v1/me', { token: await app.token('alice') })).status).toBe(200);
  });

  it("locks the user's tokens out until reactivated (server token)", async () => {
    const token = await app.token('alice');
    expect((await t.request('GET', '/v1/me', { token })).status).toBe(200);
    const res = await t.request('POST', '/v1/users/alice/deactivate', { token: app.serverToken });
    expect(res.status).toBe(200);
    expect(res.body.user.deactivated_at).toEqual(expect.any(String));
    expectError(await t.request('GET', '/v1/me', { token }), 401, 'UNAUTHORIZED');
    expectError(await t.request('GET', '/v1/me', { token: await app.token('alice') }), 401, 'UNAUTHORIZED');

    const back = await t.request('POST', '/v1/users/alice/reactivate', { token: app.serverToken });
    expect(back.status).toBe(200);
    expect(back.body.user.deactivated_at).toBeNull();
    expect((await t.request('GET', '/v1/me', { token })).status).toBe(200);
  });

  it('keeps the first deactivation time when deactivated twice', async () => {
    const first = await t.request('POST', '/v1/users/bob/deactivate', { token: app.serverToken });
    const second = await t.request('POST', '/v1/users/bob/deactivate', { token: app.serverToken });
    expect(second.body.user.deactivated_at).toBe(first.body.user.deactivated_at);
    await t.request('POST', '/v1/users/bob/reactivate', { token: app.serverToken });
  });

  it('is allowed to a user with the app role admin', async () => {
    const token = await app.token('boss');
    expect((await t.request('POST', '/v1/users/bob/deactivate', { token })).status).toBe(200);
    expectError(await t.request('GET', '/v1/me', { token: await app.token('bob') }), 401, 'UNAUTHORIZED');
    expect((await t.request('POST', '/v1/users/bob/reactivate', { token })).status).toBe(200);
    expect((await t.request('GET', '/v1/me', { token: await app.token('bob') })).status).toBe(200);
  });

  it('is 404 for an unknown user', async () => {
    expectError(await t.request('POST', '/v1/users/nobody/deactivate', { token: app.serverToken }), 404, 'NOT_FOUND');
  });
});

describe('DELETE /v1/users/{id}', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await t.createApp('delete');
    await app.upsertUsers([
      { id: 'soft', name: 'Soft Sam', custom: { team: 'u12' } },
      { id: 'hard', name: 'Hard Hal' },
      { id: 'bob' },
    ]);
  });

  it('is refused to plain users', async () => {
    expectError(await t.request('DELETE', '/v1/users/soft', { token: await app.token('bob') }), 403, 'PERMISSION_DENIED');
    expect((await t.request('GET', '/v1/users/soft', { token: app.serverToken })).body.user.name).toBe('Soft Sam');
  });

  it('soft by default: anonymises, hides from queries and locks the token out', async () => {
    const token = await app.token('soft');
    expect((await t.request('GET', '/v1/me', { token })).status).toBe(200);
    const res = await t.request('DELETE', '/v1/users/soft', { token: app.serverToken });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: 'soft', name: null, image: null, custom: {} });
    expect(res.body.user.deleted_at).toEqual(expect.any(String));
    expectError(await t.request('GET', '/v1/me', { token }), 401, 'UNAUTHORIZED');
    const got = await t.request('GET', '/v1/users/soft', { token: app.serverToken });
    expect(got.body.user).toMatchObject({ name: null, deleted_at: res.body.user.deleted_at });
    expect(await ids(app.serverToken, { include_deactivated: 'true' })).not.toContain('soft');
    expect(await ids(app.serverToken, { filter: { team: 'u12' } })).toEqual([]);
  });

  it('hard removes the user', async () => {
    const res = await t.request('DELETE', '/v1/users/hard?mode=hard', { token: app.serverToken });
    expect(res.status).toBe(200);
    expect(res.body.user).toBeNull();
    expectError(await t.request('GET', '/v1/users/hard', { token: app.serverToken }), 404, 'NOT_FOUND');
    expectError(await t.request('DELETE', '/v1/users/hard?mode=hard', { token: app.serverToken }), 404, 'NOT_FOUND');
  });

  it('is 404 for an unknown user and 400 for an unknown mode', async () => {
    expectError(await t.request('DELETE', '/v1/users/nobody', { token: app.serverToken }), 404, 'NOT_FOUND');
    expectValidation(await t.request('DELETE', '/v1/users/bob?mode=shred', { token: app.serverToken }), 'mode');
  });
});

describe('GET /v1/me and POST /v1/tokens', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await t.createApp('me');
    await app.upsertUsers([{ id: 'alice', name: 'Alice', custom: { team: 'u12' } }]);
  });

  it('returns the own user and zero totals', async () => {
    const res = await t.request('GET', '/v1/me', { token: await app.token('alice') });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: expect.objectContaining({ id: 'alice', name: 'Alice', custom: { team: 'u12' }, role: 'user' }),
      total_unread_count: 0,
      unread_channels: 0,
      mutes: [],
      blocks: [],
      devices: [],
    });
  });

  it('works for a server token acting as a user, and needs X-Parley-User otherwise', async () => {
    const acting = await t.request('GET', '/v1/me', { token: app.serverToken, headers: { 'x-parley-user': 'alice' } });
    expect(acting.status).toBe(200);
    expect(acting.body.user.id).toBe('alice');
    expectValidation(await t.request('GET', '/v1/me', { token: app.serverToken }), 'X-Parley-User');
  });

  it('mints a user token (server only) that works for /v1/me', async () => {
    const res = await t.request('POST', '/v1/tokens', { token: app.serverToken, body: { user_id: 'alice' } });
    expect(res.status).toBe(201);
    expect(res.body.token).toEqual(expect.any(String));
    expect(res.body.expires_at).toBeNull();
    const me = await t.request('GET', '/v1/me', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe('alice');
  });

  it('sets expires_at when expires_in is given', async () => {
    const before = Date.now();
    const res = await t.request('POST', '/v1/tokens', { token: app.serverToken, body: { user_id: 'alice', expires_in: 600 } });
    expect(res.status).toBe(201);
    const expiresAt = Date.parse(res.body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 598_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 601_000);
    expect((await t.request('GET', '/v1/me', { token: res.body.token })).body.user.id).toBe('alice');
  });

  it('refuses user tokens and bad bodies', async () => {
    const token = await app.token('alice');
    expectError(await t.request('POST', '/v1/tokens', { token, body: { user_id: 'alice' } }), 403, 'PERMISSION_DENIED');
    expectValidation(await t.request('POST', '/v1/tokens', { token: app.serverToken, body: { user_id: 'alice', expires_in: 0 } }), 'expires_in');
    expectValidation(await t.request('POST', '/v1/tokens', { token: app.serverToken, body: { user_id: 'alice', server: true } }), 'server');
  });

  it('reports an expired token as TOKEN_EXPIRED', async () => {
    const token = await app.token('alice', { expiresIn: -120 });
    expectError(await t.request('GET', '/v1/me', { token }), 401, 'TOKEN_EXPIRED');
  });
});

describe('tenancy: users belong to one app', () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await t.createApp('first');
    second = await t.createApp('second');
    await first.upsertUsers([{ id: 'alice', name: 'Alice of first', custom: { team: 'u12' } }, { id: 'bob' }]);
  });

  it("cannot see the other app's users", async () => {
    expectError(await t.request('GET', '/v1/users/alice', { token: second.serverToken }), 404, 'NOT_FOUND');
    expect(await ids(second.serverToken)).toEqual([]);
    expect(await ids(second.serverToken, { filter: { id: { $in: ['alice', 'bob'] } } })).toEqual([]);
  });

  it("cannot change, deactivate or delete the other app's users", async () => {
    expectError(await t.request('PATCH', '/v1/users/alice', { token: second.serverToken, body: { name: 'stolen' } }), 404, 'NOT_FOUND');
    expectError(await t.request('POST', '/v1/users/alice/deactivate', { token: second.serverToken }), 404, 'NOT_FOUND');
    expectError(await t.request('DELETE', '/v1/users/alice', { token: second.serverToken }), 404, 'NOT_FOUND');
    expectError(await t.request('DELETE', '/v1/users/alice?mode=hard', { token: second.serverToken }), 404, 'NOT_FOUND');
    const alice = await t.request('GET', '/v1/users/alice', { token: first.serverToken });
    expect(alice.body.user).toMatchObject({ name: 'Alice of first', deactivated_at: null, deleted_at: null });
    expect((await t.request('GET', '/v1/me', { token: await first.token('alice') })).status).toBe(200);
  });

  it('keeps same-id users apart', async () => {
    await second.upsertUsers([{ id: 'alice', name: 'Alice of second' }]);
    expect((await t.request('GET', '/v1/users/alice', { token: first.serverToken })).body.user.name).toBe('Alice of first');
    expect((await t.request('GET', '/v1/users/alice', { token: second.serverToken })).body.user.name).toBe('Alice of second');
    const me = await t.request('GET', '/v1/me', { token: await second.token('alice') });
    expect(me.body.user.name).toBe('Alice of second');
    // A token of the second app is not a token of the first.
    const secondsUser = await second.token('carl');
    expectError(await t.request('PATCH', '/v1/users/bob', { token: secondsUser, body: { name: 'x' } }), 404, 'NOT_FOUND');
    expectError(await t.request('GET', '/v1/users/bob', { token: secondsUser }), 404, 'NOT_FOUND');
    expect((await t.request('GET', '/v1/users/bob', { token: first.serverToken })).body.user.name).toBeNull();
  });
});
