import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

async function burst(server: TestServer, count: number, token: string) {
  return Promise.all(Array.from({ length: count }, () => server.request('GET', '/v1/me', { token })));
}

describe('rate limits', () => {
  it('documents the defaults in GET /v1/app', async () => {
    const app = await t.createApp();
    const detail = await t.request('GET', '/v1/app', { token: app.serverToken });
    expect(detail.body.app.effective_limits).toMatchObject({ requests_per_second_per_user: 50, requests_per_second_per_app: 5000 });
  });

  it('refuses a user over the per-user limit with 429, retry_after and Retry-After', async () => {
    const app = await t.createApp();
    await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { limits: { requests_per_second_per_user: 3 } } } });
    const token = await app.token('alice');
    const responses = await burst(t, 12, token);
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    // Fixed one-second windows: a burst crossing a boundary may pass twice the limit, never more.
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect(ok.length).toBeLessThanOrEqual(6);
    expect(limited.length).toBe(12 - ok.length);
    expect(limited[0]!.body.error).toMatchObject({ code: 'RATE_LIMITED', retry_after: 1 });
    expect(limited[0]!.headers['retry-after']).toBe('1');
    // Another user of the same app is not affected.
    expect((await t.request('GET', '/v1/me', { token: await app.token('bob') })).status).toBe(200);
  });

  it('refuses an app over its per-app limit, whoever calls', async () => {
    const app = await t.createApp();
    const other = await t.createApp();
    await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { limits: { requests_per_second_per_app: 5 } } } });
    const tokens = await Promise.all(['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].map((u) => app.token(u)));
    const responses = await Promise.all(tokens.flatMap((token) => [t.request('GET', '/v1/me', { token }), t.request('GET', '/v1/me', { token })]));
    expect(responses.filter((r) => r.status === 200).length).toBeLessThanOrEqual(10);
    expect(responses.some((r) => r.status === 429)).toBe(true);
    // Limits are per app: another app is untouched.
    expect((await t.request('GET', '/v1/me', { token: await other.token('u1') })).status).toBe(200);
  });

  it('holds a limit across two nodes sharing Redis', async () => {
    const nodeA = await startTestServer({ PARLEY_REDIS_URL: REDIS_URL });
    // Node B serves the same database as node A, as a second server process would.
    const { createServer, loadConfig } = await import('@parley/server');
    const dbUrl = nodeA.server.services.config.databaseUrl!;
    const nodeB = await createServer({ config: loadConfig({ DATABASE_URL: dbUrl, PARLEY_REDIS_URL: REDIS_URL, LOG_LEVEL: 'silent' }), databaseUrl: dbUrl });
    try {
      const app = await nodeA.createApp();
      await nodeA.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { limits: { requests_per_second_per_user: 4 } } } });
      const token = await app.token('alice');
      const calls = Array.from({ length: 16 }, (_, i) =>
        i % 2 === 0
          ? nodeA.request('GET', '/v1/me', { token })
          : nodeB.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } }).then((r) => ({ status: r.statusCode })),
      );
      const statuses = (await Promise.all(calls)).map((r) => r.status);
      // Each node alone would allow 4 per window (8 together, 16 across two windows); shared, at most 8.
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(8);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(8);
    } finally {
      await nodeB.close();
      await nodeA.close();
    }
  });
});
