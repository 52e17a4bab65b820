import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestApp, type TestServer } from '../../../test/support/server.js';

let t: TestServer;
let app: TestApp;
beforeAll(async () => {
  t = await startTestServer();
  app = await t.createApp();
});
afterAll(() => t.close());

it('a hard-deleted user is not brought back by an old token, until the integrator upserts the id again', async () => {
  await app.upsertUsers([{ id: 'leaver', name: 'Leaver' }]);
  const token = await app.token('leaver');
  expect((await t.request('GET', '/v1/me', { token })).status).toBe(200);
  expect((await t.request('DELETE', '/v1/users/leaver?mode=hard', { token: app.serverToken })).status).toBe(200);
  const after = await t.request('GET', '/v1/me', { token });
  expect(after.status).toBe(401);
  expect((await t.request('GET', '/v1/users/leaver', { token: app.serverToken })).status).toBe(404);
  await app.upsertUsers([{ id: 'leaver', name: 'Back' }]);
  const back = await t.request('GET', '/v1/me', { token });
  expect(back.status).toBe(200);
  expect(back.body.user.name).toBe('Back');
});
