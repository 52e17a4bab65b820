import fc from 'fast-check';
import { ERROR_CODES, ERROR_STATUS } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp, type TestServer } from '../../../test/support/server.js';

let t: TestServer;
let app: TestApp;
let other: TestApp;
beforeAll(async () => {
  t = await startTestServer({ PARLEY_BODY_LIMIT: '4096' });
  app = await t.createApp();
  other = await t.createApp('other');
  await app.upsertUsers([{ id: 'alice' }]);
  await other.upsertUsers([{ id: 'mallory' }]);
  // The fuzz test below sends hundreds of requests a second as one user.
  await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { limits: { requests_per_second_per_user: 100000 } } } });
});
afterAll(() => t.close());

describe('error registry', () => {
  it('has every code of API.md with its HTTP status', () => {
    expect(ERROR_CODES).toEqual(expect.arrayContaining([
      'VALIDATION_ERROR', 'EMPTY_MESSAGE', 'MESSAGE_TOO_LONG', 'TOO_MANY_ATTACHMENTS', 'INVALID_FILE_TYPE', 'FILE_TOO_LARGE',
      'TOO_MANY_MEMBERS', 'TOO_FEW_MEMBERS', 'UNAUTHORIZED', 'TOKEN_EXPIRED', 'PERMISSION_DENIED', 'EDIT_WINDOW_EXPIRED',
      'CHANNEL_FROZEN', 'USER_BANNED', 'USER_BLOCKED', 'MUTE_OVERRIDE_REQUIRED', 'NOT_FOUND', 'CONFLICT', 'IDEMPOTENCY_KEY_REUSED',
      'RESYNC_REQUIRED', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED', 'SLOW_MODE', 'INTERNAL_ERROR', 'UNAVAILABLE',
    ]));
    expect(ERROR_STATUS.TOO_FEW_MEMBERS).toBe(400);
    expect(ERROR_STATUS.MUTE_OVERRIDE_REQUIRED).toBe(403);
    expect(ERROR_STATUS.RESYNC_REQUIRED).toBe(409);
    expect(ERROR_STATUS.SLOW_MODE).toBe(429);
    expect(ERROR_STATUS.UNAVAILABLE).toBe(503);
  });
});

describe('bad input gets a clear error', () => {
  it('rejects an unknown top-level field, naming it', async () => {
    const r = await t.request('PATCH', '/v1/users/alice', { token: await app.token('alice'), body: { name: 'A', created_at: '2020-01-01T00:00:00Z' } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: 'VALIDATION_ERROR', message: expect.stringContaining('created_at'), details: { field: 'created_at' } } });
  });

  it('rejects an unknown nested field with its path', async () => {
    const r = await t.request('POST', '/v1/users', { token: app.serverToken, body: { users: [{ id: 'b' }, { id: 'c', app_id: 'x' }] } });
    expect(r.status).toBe(400);
    expect(r.body.error.details.field).toBe('users[1].app_id');
  });

  it('names a missing required field and a wrongly typed one, never coercing body types', async () => {
    const missing = await t.request('POST', '/v1/users', { token: app.serverToken, body: { users: [{ name: 'x' }] } });
    expect(missing.body.error.details.field).toBe('users[0].id');
    const typed = await t.request('POST', '/v1/tokens', { token: app.serverToken, body: { user_id: 'alice', expires_in: '60' } });
    expect(typed.status).toBe(400);
    expect(typed.body.error.details.field).toBe('expires_in');
  });

  it('answers malformed JSON with 400, never 500', async () => {
    for (const payload of ['{"users": [', '{,}', 'null', '"text"', '[]', '{"users": [{"id": "a"}]}}']) {
      const r = await t.request('POST', '/v1/users', { token: app.serverToken, payload });
      expect(r.status, payload).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('refuses a body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const r = await t.request('POST', '/v1/users', { token: app.serverToken, body: { users: [{ id: 'a', name: 'x'.repeat(5000) }] } });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a non-JSON content type with a validation error', async () => {
    const r = await t.request('POST', '/v1/users', { token: app.serverToken, payload: 'users=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('answers unknown routes with NOT_FOUND in the same shape', async () => {
    const r = await t.request('GET', '/v1/nope');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
  });

  it('treats a custom-field filter with no operator as no condition (regression: fast-check seed 945602190)', async () => {
    const token = await app.token('alice');
    const r = await t.request('GET', `/v1/users?filter=${encodeURIComponent(JSON.stringify({ A: {} }))}`, { token });
    expect(r.status).toBe(200);
  });

  it('never answers 500 to random bodies', async () => {
    const token = await app.token('alice');
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
        const upsert = await t.request('POST', '/v1/users', { token: app.serverToken, body: value });
        const patch = await t.request('PATCH', '/v1/users/alice', { token, body: value });
        const query = await t.request('GET', `/v1/users?filter=${encodeURIComponent(JSON.stringify(value))}`, { token });
        for (const r of [upsert, patch, query]) {
          expect(r.status).toBeLessThan(500);
          if (r.status >= 400) expect(Object.keys(r.body.error)).toEqual(expect.arrayContaining(['code', 'message']));
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('missing and forbidden look the same', () => {
  it('answers an object of another app exactly like one that does not exist', async () => {
    const token = await app.token('alice');
    const foreign = await t.request('GET', '/v1/users/mallory', { token });
    const missing = await t.request('GET', '/v1/users/nobody-at-all', { token });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.body.error.code).toBe(missing.body.error.code);
    expect(foreign.body.error.message).toBe(missing.body.error.message);
  });

  it('keeps cross-app ids out of every id-taking route', async () => {
    const token = other.serverToken;
    for (const [method, url] of [
      ['GET', '/v1/users/alice'],
      ['PATCH', '/v1/users/alice'],
      ['POST', '/v1/users/alice/deactivate'],
      ['POST', '/v1/users/alice/reactivate'],
      ['DELETE', '/v1/users/alice'],
    ] as const) {
      const r = await t.request(method, url, { token, body: method === 'PATCH' ? { name: 'pwned' } : undefined });
      expect(r.status, `${method} ${url}`).toBe(404);
    }
    const alice = await t.request('GET', '/v1/users/alice', { token: app.serverToken });
    expect(alice.body.user.name).not.toBe('pwned');
    expect(alice.body.user.deactivated_at).toBeNull();
    // An operator route given another app's key id: not found, and the key survives.
    const keyOfOther = await t.request('DELETE', `/v1/apps/${app.appId}/keys/${other.keyId}`, { token: 'test-operator-token-0123456789' });
    expect(keyOfOther.status).toBe(404);
    expect((await t.request('GET', '/v1/me', { token: await other.token('mallory') })).status).toBe(200);
  });
});
