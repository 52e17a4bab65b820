import { afterAll, beforeAll, expect, it } from 'vitest';
import { pruneEvents } from '../src/jobs/prune-events.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

it("drops events older than each app's retention window and keeps the rest", async () => {
  const shortLived = await t.createApp('short');
  const standard = await t.createApp('standard');
  await t.request('PATCH', '/v1/app', { token: shortLived.serverToken, body: { settings: { event_retention_days: 2 } } });
  for (const app of [shortLived, standard]) {
    const alice = await app.token('alice');
    const created = await t.request('POST', '/v1/channels', { token: alice, body: { type: 'messaging', id: 'room' } });
    expect(created.status).toBe(201);
    for (let i = 0; i < 3; i++) await t.request('POST', '/v1/channels/messaging/room/messages', { token: alice, body: { text: `m${i}` } });
  }
  const { pool } = t.server.services;
  // Age every event of both apps by 5 days, then one event of each by 40 days.
  await pool.query(`update events set created_at = now() - interval '5 days'`);
  await pool.query(`update events set created_at = now() - interval '40 days' where seq = 1`);
  const count = async (appId: string) => Number((await pool.query('select count(*) from events where app_id = $1', [appId])).rows[0].count);
  const before = { short: await count(shortLived.appId), standard: await count(standard.appId) };
  const removed = await pruneEvents(pool);
  expect(await count(shortLived.appId)).toBe(0); // 2-day window: all 5-day-old events go
  expect(await count(standard.appId)).toBe(before.standard - 1); // 30-day default: only the 40-day-old one
  expect(removed).toBe(before.short + 1);
});
