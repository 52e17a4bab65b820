import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestApp, type TestServer } from '../support/server.js';

let t: TestServer;
let app: TestApp;
beforeAll(async () => {
  t = await startTestServer();
  app = await t.createApp();
  await app.upsertUsers([{ id: 'alice', name: 'Alice' }, { id: 'bob', name: 'Bob' }]);
});
afterAll(() => t.close());

it('smoke', async () => {
  const alice = await app.token('alice');
  const bob = await app.token('bob');
  const dm = await t.request('POST', '/v1/channels', { token: alice, body: { type: 'messaging', members: ['bob'] } });
  expect(dm.status, JSON.stringify(dm.body)).toBe(201);
  const cid = dm.body.channel.cid as string;
  const [type, id] = cid.split(':');
  const sent = await t.request('POST', `/v1/channels/${type}/${id}/messages`, { token: alice, body: { text: 'hello **bob** @bob', client_msg_id: 'c1' } });
  expect(sent.status, JSON.stringify(sent.body)).toBe(201);
  expect(sent.body.message.html).toContain('<strong>bob</strong>');
  const again = await t.request('POST', `/v1/channels/${type}/${id}/messages`, { token: alice, body: { text: 'hello **bob** @bob', client_msg_id: 'c1' } });
  expect(again.status).toBe(200);
  expect(again.body).toEqual(sent.body);
  const state = await t.request('GET', `/v1/channels/${type}/${id}`, { token: bob });
  expect(state.status, JSON.stringify(state.body)).toBe(200);
  expect(state.body.unread_count).toBe(1);
  expect(state.body.unread_mentions).toBe(1);
  const react = await t.request('POST', `/v1/messages/${sent.body.message.id}/reactions`, { token: bob, body: { type: 'like' } });
  expect(react.status, JSON.stringify(react.body)).toBe(200);
  const q = await t.request('POST', '/v1/channels/query', { token: bob, body: { filter: { type: 'messaging' } } });
  expect(q.status, JSON.stringify(q.body)).toBe(200);
  expect(q.body.channels[0].messages[0].reaction_counts).toEqual({ like: 1 });
  const sync0 = await t.request('POST', '/v1/sync', { token: bob, body: {} });
  const read = await t.request('POST', `/v1/channels/${type}/${id}/read`, { token: bob, body: {} });
  expect(read.status, JSON.stringify(read.body)).toBe(200);
  const del = await t.request('DELETE', `/v1/messages/${sent.body.message.id}`, { token: alice });
  expect(del.status, JSON.stringify(del.body)).toBe(200);
  const sync = await t.request('POST', '/v1/sync', { token: bob, body: { since: sync0.body.cursor } });
  expect(sync.status, JSON.stringify(sync.body)).toBe(200);
  expect(sync.body.events.map((e: any) => e.type)).toEqual(['message.read', 'message.deleted']);
  const me = await t.request('GET', '/v1/me/unread', { token: bob });
  expect(me.body.total_unread_count).toBe(0);
});
