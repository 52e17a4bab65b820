import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp, type TestServer } from '../../../test/support/server.js';
import { usersHelpers } from './users-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

// Query, sort, cursor paging and visibility of GET /v1/users; the rest is in users.test.ts.

const { query, ids, allPages, expectValidation, expectError } = usersHelpers(() => t);

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

