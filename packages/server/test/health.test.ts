import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('health, docs, metrics', () => {
  it('reports alive and ready once migrations are applied', async () => {
    expect((await t.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: 'ok', migrations: 'ok' });
  });

  it('is not ready when a migration is missing', async () => {
    await t.server.services.pool.query('delete from parley_migrations where version = 1');
    try {
      const ready = await t.request('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.migrations).toBe('pending');
    } finally {
      await t.server.services.pool.query("insert into parley_migrations (version, name) values (1, 'platform')");
    }
  });

  it('serves an OpenAPI document built from the protocol schemas, and a docs page', async () => {
    const spec = await t.request('GET', '/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/v1/apps', '/v1/users', '/v1/users/{id}', '/v1/channel-types/{type}', '/v1/me']));
    // Unknown fields are rejected: the schema says so.
    expect(spec.body.paths['/v1/users'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(spec.body.info.description).toContain('IDEMPOTENCY_KEY_REUSED');
    const docs = await t.request('GET', '/docs/');
    expect(docs.status).toBe(200);
    expect(String(docs.body)).toContain('<html');
  });

  it('counts requests by route pattern in Prometheus format', async () => {
    const app = await t.createApp();
    await t.request('GET', '/v1/users/u1', { token: app.serverToken });
    await t.request('GET', '/v1/users/u2', { token: app.serverToken });
    const metrics = await t.request('GET', '/metrics');
    expect(metrics.body).toMatch(/parley_http_requests_total\{method="GET",route="\/v1\/users\/:id",status="404"\} 2/);
    expect(metrics.body).toContain('parley_http_request_duration_seconds_bucket');
  });

  it('echoes a sane x-request-id and generates one otherwise', async () => {
    const given = await t.request('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const generated = await t.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
