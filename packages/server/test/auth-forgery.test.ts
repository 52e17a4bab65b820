/**
 * App-key (HS256) authentication under attack: every forged, tampered, revoked or stale credential
 * is refused with 401 before any handler runs, and the documented happy paths still work.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '@parley/server';
import { ADMIN_TOKEN, startTestServer, type Response, type TestApp, type TestServer } from '../../../test/support/server.js';

let t: TestServer;
let app: TestApp;
let other: TestApp;

beforeAll(async () => {
  t = await startTestServer();
  app = await t.createApp('forgery');
  other = await t.createApp('other');
});
afterAll(() => t?.close());

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS signed with HMAC-SHA256 over `secret`, whatever the header says. */
function hmacToken(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

let counter = 0;
/** A user id never seen before (so auto-creation would be visible). */
const freshId = (label: string) => `${label}-${process.pid}-${++counter}`;

async function userRow(appId: string, id: string) {
  const result = await t.server.services.pool.query('select id, name, deactivated_at, deleted_at from users where app_id = $1 and id = $2', [appId, id]);
  return result.rows[0] as { id: string; name: string | null; deactivated_at: Date | null; deleted_at: Date | null } | undefined;
}

const me = (token: string, headers: Record<string, string> = {}) => t.request('GET', '/v1/me', { token, headers });

function expectUnauthorized(response: Response, code: 'UNAUTHORIZED' | 'TOKEN_EXPIRED' = 'UNAUTHORIZED') {
  expect(response.status, JSON.stringify(response.body)).toBe(401);
  expect(response.body.error.code).toBe(code);
}

/** The forged token is refused on GET /v1/me and its would-be user is not auto-created. */
async function expectRefusedWithoutSideEffect(token: string, userId: string, code: 'UNAUTHORIZED' | 'TOKEN_EXPIRED' = 'UNAUTHORIZED') {
  expectUnauthorized(await me(token), code);
  expect(await userRow(app.appId, userId)).toBeUndefined();
}

describe('valid app-key tokens (control)', () => {
  it('auto-creates a never-seen user from a valid user token', async () => {
    const id = freshId('newcomer');
    expect(await userRow(app.appId, id)).toBeUndefined();
    const response = await me(await app.token(id));
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(id);
    expect(await userRow(app.appId, id)).toMatchObject({ id, deactivated_at: null, deleted_at: null });
  });

  it("accepts a new user's first requests even when they arrive together", async () => {
    for (let round = 0; round < 5; round++) {
      const id = freshId('burst');
      const token = await app.token(id);
      const responses = await Promise.all(Array.from({ length: 8 }, () => me(token)));
      for (const response of responses) {
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        expect(response.body.user.id).toBe(id);
      }
    }
  });

  it('lets a server token act as an existing user through X-Parley-User', async () => {
    const id = freshId('acted');
    await app.upsertUsers([{ id }]);
    const response = await me(app.serverToken, { 'x-parley-user': id });
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(id);
  });
});

describe('forged signatures and algorithms', () => {
  it('rejects alg "none", with or without a real kid, and creates nothing', async () => {
    for (const header of [{ alg: 'none', typ: 'JWT' }, { alg: 'none', typ: 'JWT', kid: app.keyId }, { alg: 'None', kid: app.keyId }]) {
      const id = freshId('none');
      const token = `${b64(header)}.${b64({ sub: id, iat: now(), exp: now() + 600 })}.`;
      await expectRefusedWithoutSideEffect(token, id);
    }
    // A server token with alg none must not reach the upsert handler.
    const victim = freshId('none-upsert');
    const serverNone = `${b64({ alg: 'none', kid: app.keyId })}.${b64({ server: true, iat: now() })}.`;
    expectUnauthorized(await t.request('POST', '/v1/users', { token: serverNone, body: { users: [{ id: victim }] } }));
    expect(await userRow(app.appId, victim)).toBeUndefined();
  });

  it('rejects HS256 signed with an RSA public key (PEM) as the HMAC secret under a real kid (alg confusion)', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const id = freshId('confused');
    const token = hmacToken({ alg: 'HS256', typ: 'JWT', kid: app.keyId }, { sub: id, iat: now(), exp: now() + 600 }, publicKey);
    await expectRefusedWithoutSideEffect(token, id);
    const serverToken = hmacToken({ alg: 'HS256', kid: app.keyId }, { server: true, iat: now() }, publicKey);
    expectUnauthorized(await t.request('GET', '/v1/app', { token: serverToken }));
  });

  it("rejects a token signed with another app's secret but carrying this app's kid", async () => {
    const id = freshId('cross-app');
    const token = hmacToken({ alg: 'HS256', typ: 'JWT', kid: app.keyId }, { sub: id, iat: now(), exp: now() + 600 }, other.secret);
    await expectRefusedWithoutSideEffect(token, id);
    // ...nor as a server token: no user upserted into this app.
    const victim = freshId('cross-upsert');
    const serverToken = (await mintToken({ keyId: app.keyId, secret: other.secret, server: true })).token;
    expectUnauthorized(await t.request('POST', '/v1/users', { token: serverToken, body: { users: [{ id: victim }] } }));
    expect(await userRow(app.appId, victim)).toBeUndefined();
    expect(await userRow(other.appId, victim)).toBeUndefined();
  });

  it('rejects an unknown kid, including one shaped like a key of this app', async () => {
    for (const kid of [`${app.appId}_0000000000000000`, 'nosuchkey', `nosuchapp_${app.keyId.split('_')[1]}`, '_', 'x'.repeat(300)]) {
      const id = freshId('unknown-kid');
      const token = hmacToken({ alg: 'HS256', kid }, { sub: id, iat: now() }, app.secret);
      await expectRefusedWithoutSideEffect(token, id);
    }
  });

  it('rejects a kid that is not a string with 401, not a server error', async () => {
    for (const kid of [42, { id: app.keyId }, [app.keyId], true]) {
      const id = freshId('odd-kid');
      const token = hmacToken({ alg: 'HS256', kid }, { sub: id, iat: now() }, app.secret);
      await expectRefusedWithoutSideEffect(token, id);
    }
  });

  it('rejects a token without kid even when signed with the real secret', async () => {
    const id = freshId('no-kid');
    const token = hmacToken({ alg: 'HS256', typ: 'JWT' }, { sub: id, iat: now() }, app.secret);
    await expectRefusedWithoutSideEffect(token, id);
  });

  it('rejects a tampered payload (sub changed, signature kept)', async () => {
    const alice = freshId('alice');
    const bob = freshId('bob');
    const [header, , signature] = (await app.token(alice)).split('.');
    const forged = `${header}.${b64({ sub: bob, iat: now(), exp: now() + 600 })}.${signature}`;
    await expectRefusedWithoutSideEffect(forged, bob);
    // Escalating a user token to a server token by editing the payload fails too.
    const escalated = `${header}.${b64({ sub: alice, server: true, iat: now(), exp: now() + 600 })}.${signature}`;
    expectUnauthorized(await t.request('GET', '/v1/app', { token: escalated }));
  });

  it('rejects truncated, emptied or re-encoded signatures', async () => {
    const id = freshId('truncated');
    const token = await app.token(id);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    for (const forged of [
      `${header}.${payload}.${signature.slice(0, -1)}`,
      `${header}.${payload}.${signature.slice(0, 20)}`,
      `${header}.${payload}.`,
      `${header}.${payload}`,
      `${header}.${payload}.${Buffer.from(signature, 'base64url').toString('hex')}`,
    ]) {
      await expectRefusedWithoutSideEffect(forged, id);
    }
    // The untouched token still works (and only then creates the user).
    expect((await me(token)).status).toBe(200);
    expect(await userRow(app.appId, id)).toBeDefined();
  });

  it('rejects a garbage bearer token', async () => {
    for (const garbage of ['garbage', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9', '...', Buffer.from('{"alg":"HS256"}').toString('base64url') + '.e30.AAAA', 'x'.repeat(5000)]) {
      expectUnauthorized(await me(garbage));
    }
  });

  it('rejects an Authorization header that is not "Bearer <token>"', async () => {
    const token = await app.token(freshId('scheme'));
    for (const authorization of [token, `Basic ${Buffer.from(`u:${token}`).toString('base64')}`, `Token ${token}`, 'Bearer', 'Bearer ', `Bearer ${token} extra`, `Bearer${token}`]) {
      const response = await t.request('GET', '/v1/me', { headers: { authorization } });
      expectUnauthorized(response);
    }
    // No credentials at all is a 401 as well.
    expectUnauthorized(await t.request('GET', '/v1/me'));
  });

  it('rejects a token whose sub is not a valid user id, and creates no such user', async () => {
    for (const sub of ['has space', 'nul\u0000byte', 'a/b', 'x'.repeat(129), '']) {
      const token = hmacToken({ alg: 'HS256', kid: app.keyId }, { sub, iat: now(), exp: now() + 600 }, app.secret);
      expectUnauthorized(await me(token));
    }
    const count = await t.server.services.pool.query("select count(*)::int as n from users where app_id = $1 and (id like '% %' or id like '%/%')", [app.appId]);
    expect(count.rows[0].n).toBe(0);
  });
});

describe('time claims (skew tolerance 60 s)', () => {
  const sign = (payload: Record<string, unknown>) => hmacToken({ alg: 'HS256', typ: 'JWT', kid: app.keyId }, payload, app.secret);

  it('answers TOKEN_EXPIRED for a token expired more than 60 s ago, and does not create its user', async () => {
    const id = freshId('expired');
    await expectRefusedWithoutSideEffect(sign({ sub: id, iat: now() - 3600, exp: now() - 120 }), id, 'TOKEN_EXPIRED');
  });

  it('accepts a token expired 30 s ago (within skew)', async () => {
    const id = freshId('just-expired');
    const response = await me(sign({ sub: id, iat: now() - 600, exp: now() - 30 }));
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(id);
  });

  it('answers UNAUTHORIZED, not TOKEN_EXPIRED, for an expired token with a bad signature', async () => {
    const id = freshId('expired-forged');
    const token = hmacToken({ alg: 'HS256', kid: app.keyId }, { sub: id, iat: now() - 3600, exp: now() - 120 }, other.secret);
    await expectRefusedWithoutSideEffect(token, id);
  });

  it('rejects nbf more than 60 s in the future and accepts nbf within skew', async () => {
    const early = freshId('nbf-far');
    await expectRefusedWithoutSideEffect(sign({ sub: early, iat: now(), nbf: now() + 300, exp: now() + 3600 }), early);
    const close = freshId('nbf-near');
    const response = await me(sign({ sub: close, iat: now(), nbf: now() + 30, exp: now() + 3600 }));
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(close);
  });

  it('rejects iat far in the future and accepts iat within skew', async () => {
    const future = freshId('iat-far');
    await expectRefusedWithoutSideEffect(sign({ sub: future, iat: now() + 3600, exp: now() + 7200 }), future);
    const serverFuture = sign({ server: true, iat: now() + 3600 });
    expectUnauthorized(await t.request('GET', '/v1/app', { token: serverFuture }));
    const near = freshId('iat-near');
    expect((await me(sign({ sub: near, iat: now() + 30, exp: now() + 3600 }))).status).toBe(200);
  });
});

describe('key deletion and rotation', () => {
  it('refuses a server token signed by a deleted key; its handler never runs', async () => {
    const rotating = await t.createApp('deleted-key');
    const created = await t.request('POST', `/v1/apps/${rotating.appId}/keys`, { token: ADMIN_TOKEN });
    expect(created.status).toBe(201);
    const doomed = (await mintToken({ keyId: created.body.key_id, secret: created.body.secret, server: true })).token;
    // It works while the key exists...
    const before = freshId('before-delete');
    expect((await t.request('POST', '/v1/users', { token: doomed, body: { users: [{ id: before }] } })).status).toBe(200);
    expect(await userRow(rotating.appId, before)).toBeDefined();

    const deleted = await t.request('DELETE', `/v1/apps/${rotating.appId}/keys/${created.body.key_id}`, { token: ADMIN_TOKEN });
    expect(deleted.status).toBe(200);

    // ...and stops at once afterwards: no upsert, no settings read, no acting as a user.
    const after = freshId('after-delete');
    expectUnauthorized(await t.request('POST', '/v1/users', { token: doomed, body: { users: [{ id: after }] } }));
    expect(await userRow(rotating.appId, after)).toBeUndefined();
    expectUnauthorized(await t.request('GET', '/v1/app', { token: doomed }));
    expectUnauthorized(await me(doomed, { 'x-parley-user': before }));
    // The surviving key is unaffected.
    expect((await t.request('GET', '/v1/app', { token: rotating.serverToken })).status).toBe(200);
  });

  it('verifies old and new keys during rotation, then only the new one once the old is deleted', async () => {
    const rotating = await t.createApp('rotation');
    const id = freshId('rotated');
    const oldToken = await rotating.token(id);
    expect((await me(oldToken)).body.user.id).toBe(id);

    const created = await t.request('POST', `/v1/apps/${rotating.appId}/keys`, { token: ADMIN_TOKEN });
    expect(created.status).toBe(201);
    const newToken = (await mintToken({ keyId: created.body.key_id, secret: created.body.secret, userId: id, expiresIn: 3600 })).token;
    const newServer = (await mintToken({ keyId: created.body.key_id, secret: created.body.secret, server: true })).token;

    for (const token of [oldToken, newToken]) {
      const response = await me(token);
      expect(response.status).toBe(200);
      expect(response.body.user.id).toBe(id);
    }
    expect((await t.request('GET', '/v1/app', { token: rotating.serverToken })).status).toBe(200);

    const deleted = await t.request('DELETE', `/v1/apps/${rotating.appId}/keys/${rotating.keyId}`, { token: ADMIN_TOKEN });
    expect(deleted.status).toBe(200);

    expectUnauthorized(await me(oldToken));
    expectUnauthorized(await t.request('GET', '/v1/app', { token: rotating.serverToken }));
    expect((await me(newToken)).body.user.id).toBe(id);
    expect((await t.request('GET', '/v1/app', { token: newServer })).status).toBe(200);

    // The last key cannot be deleted.
    const last = await t.request('DELETE', `/v1/apps/${rotating.appId}/keys/${created.body.key_id}`, { token: ADMIN_TOKEN });
    expect(last.status).toBe(409);
    expect((await me(newToken)).status).toBe(200);
  });

  it("does not let one app's new key sign for another app", async () => {
    const created = await t.request('POST', `/v1/apps/${other.appId}/keys`, { token: ADMIN_TOKEN });
    expect(created.status).toBe(201);
    // Other app's fresh secret, this app's kid.
    const id = freshId('rotation-cross');
    const token = (await mintToken({ keyId: app.keyId, secret: created.body.secret, userId: id, expiresIn: 600 })).token;
    await expectRefusedWithoutSideEffect(token, id);
  });
});

describe('user state', () => {
  it('refuses a deactivated user and accepts them again once reactivated', async () => {
    const id = freshId('deactivated');
    await app.upsertUsers([{ id, name: 'Dee' }]);
    const token = await app.token(id);
    expect((await me(token)).status).toBe(200);

    expect((await t.request('POST', `/v1/users/${id}/deactivate`, { token: app.serverToken })).status).toBe(200);
    expectUnauthorized(await me(token));
    // A deactivated user's token reaches no handler: their own profile edit is refused and not applied.
    expectUnauthorized(await t.request('PATCH', `/v1/users/${id}`, { token, body: { name: 'Changed' } }));
    expect((await userRow(app.appId, id))?.name).toBe('Dee');
    // A server token cannot act as them either.
    expectUnauthorized(await me(app.serverToken, { 'x-parley-user': id }));

    expect((await t.request('POST', `/v1/users/${id}/reactivate`, { token: app.serverToken })).status).toBe(200);
    const response = await me(token);
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(id);
  });

  it('refuses a soft-deleted user and does not resurrect them', async () => {
    const id = freshId('deleted');
    await app.upsertUsers([{ id, name: 'Gone' }]);
    const token = await app.token(id);
    expect((await me(token)).status).toBe(200);

    expect((await t.request('DELETE', `/v1/users/${id}`, { token: app.serverToken })).status).toBe(200);
    expectUnauthorized(await me(token));
    expectUnauthorized(await me(app.serverToken, { 'x-parley-user': id }));
    const row = await userRow(app.appId, id);
    expect(row?.deleted_at).not.toBeNull();
  });
});

/**
 * Holds the first pool query whose SQL contains `marker` (after it has run) until `release` is
 * called, so a request can be caught between reading a credential and caching it.
 */
function holdQuery(marker: string) {
  const pool = t.server.services.pool;
  const original = pool.query;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  let armed = true;
  pool.query = (async (...args: unknown[]) => {
    const result = await (original as (...a: unknown[]) => Promise<unknown>).apply(pool, args);
    const text = typeof args[0] === 'string' ? args[0] : '';
    if (armed && text.includes(marker)) {
      armed = false;
      reached();
      await gate;
    }
    return result;
  }) as typeof pool.query;
  return {
    held,
    release: () => {
      pool.query = original;
      release();
    },
  };
}

describe('revocation while a request is in flight', () => {
  it('a key deleted while a request is verifying with it stops working at once', async () => {
    const rotating = await t.createApp('in-flight-key');
    const created = await t.request('POST', `/v1/apps/${rotating.appId}/keys`, { token: ADMIN_TOKEN });
    const token = (await mintToken({ keyId: created.body.key_id, secret: created.body.secret, server: true })).token;

    const hold = holdQuery('from app_keys where app_id = $1 and key_id = $2');
    let inFlight: Promise<Response>;
    try {
      inFlight = t.request('GET', '/v1/app', { token });
      await hold.held;
      const deleted = await t.request('DELETE', `/v1/apps/${rotating.appId}/keys/${created.body.key_id}`, { token: ADMIN_TOKEN });
      expect(deleted.status).toBe(200);
    } finally {
      hold.release();
    }
    // The request that had already read the key may finish; the next one must not.
    expect((await inFlight!).status).toBe(200);
    expectUnauthorized(await t.request('GET', '/v1/app', { token }));
  });

  it('a user deactivated while their request is being authenticated is refused on the next request', async () => {
    const id = freshId('in-flight-user');
    await app.upsertUsers([{ id }]);
    const token = await app.token(id);

    const hold = holdQuery('from users where app_id = $1 and id = $2');
    let inFlight: Promise<Response>;
    try {
      inFlight = me(token);
      await hold.held;
      expect((await t.request('POST', `/v1/users/${id}/deactivate`, { token: app.serverToken })).status).toBe(200);
    } finally {
      hold.release();
    }
    expect((await inFlight!).status).toBe(200);
    expectUnauthorized(await me(token));
  });
});

describe('X-Parley-User', () => {
  it('refuses a server token naming an unknown user, and does not create that user', async () => {
    const id = freshId('ghost');
    expectUnauthorized(await me(app.serverToken, { 'x-parley-user': id }));
    expect(await userRow(app.appId, id)).toBeUndefined();
  });

  it('refuses a server token naming a user of another app', async () => {
    const id = freshId('foreign');
    await other.upsertUsers([{ id }]);
    expectUnauthorized(await me(app.serverToken, { 'x-parley-user': id }));
    expect(await userRow(app.appId, id)).toBeUndefined();
  });

  it('is ignored for a user token: the token’s own user stays the caller', async () => {
    const mallory = freshId('mallory');
    const victim = freshId('victim');
    await app.upsertUsers([{ id: victim, name: 'Victim' }]);
    const token = await app.token(mallory);

    const response = await me(token, { 'x-parley-user': victim });
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(mallory);

    // Editing the victim while "acting" as them is an edit of someone else: refused, not applied.
    const patch = await t.request('PATCH', `/v1/users/${victim}`, { token, headers: { 'x-parley-user': victim }, body: { name: 'Pwned' } });
    expect(patch.status).toBe(403);
    expect((await userRow(app.appId, victim))?.name).toBe('Victim');
  });
});
