import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp, type TestServer } from '../../../test/support/server.js';
import { usersHelpers, type Json } from './users-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const { upsert, ids, expectValidation, expectError } = usersHelpers(() => t);

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
