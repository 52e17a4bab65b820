/**
 * Pinned query counts on the hot paths: send, history page, query channels. The exact numbers
 * are pinned so a change is a conscious one, and each is shown not to grow with the data
 * (members, page size, channels per page): an N+1 fails here.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp, type TestServer } from '../support/server.js';

let t: TestServer;
let app: TestApp;
let alice: string;

/**
 * Statements sent to PostgreSQL (pool and transaction clients) by `fn`, in the steady state: the
 * auth caches (keys, users, app settings; 2 s TTL) may expire between requests and add a reload,
 * so this is the fewest over three runs.
 */
async function countQueries(fn: () => Promise<unknown>): Promise<number> {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await countOnce(fn));
  return Math.min(...runs);
}

async function countOnce(fn: () => Promise<unknown>): Promise<number> {
  const original = pg.Client.prototype.query;
  let count = 0;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    count++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await fn();
  } finally {
    pg.Client.prototype.query = original;
  }
  return count;
}

async function channelWith(members: number): Promise<string> {
  const ids = Array.from({ length: members }, (_, i) => `m${members}-${i}`);
  const created = await t.request('POST', '/v1/channels', { token: alice, body: { type: 'team', id: `qc-${members}-${Math.random().toString(36).slice(2)}`, members: ids } });
  expect(created.status).toBe(201);
  return `/v1/channels/team/${created.body.channel.id}`;
}

beforeAll(async () => {
  t = await startTestServer();
  app = await t.createApp();
  await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { limits: { messages_per_minute_per_user: 100000, requests_per_second_per_user: 100000 } } } });
  alice = await app.token('alice');
  // Warm caches (keys, users, channel types) so counts measure the steady state.
  await t.request('GET', '/v1/me', { token: alice });
});
afterAll(() => t.close());

describe('pinned query counts', () => {
  it('send: a fixed number of statements, whatever the member count', async () => {
    const small = await channelWith(2);
    const large = await channelWith(60);
    await t.request('POST', `${small}/messages`, { token: alice, body: { text: 'warm' } });
    await t.request('POST', `${large}/messages`, { token: alice, body: { text: 'warm' } });
    const inSmall = await countQueries(() => t.request('POST', `${small}/messages`, { token: alice, body: { text: 'hello' } }));
    const inLarge = await countQueries(() => t.request('POST', `${large}/messages`, { token: alice, body: { text: 'hello' } }));
    expect(inSmall).toBe(inLarge);
    expect(inSmall).toBe(5);
  });

  it('history page: a fixed number of statements, whatever the page size', async () => {
    const channel = await channelWith(3);
    for (let i = 0; i < 60; i++) await t.request('POST', `${channel}/messages`, { token: alice, body: { text: `m${i}` } });
    const page10 = await countQueries(() => t.request('GET', `${channel}/messages?limit=10`, { token: alice }));
    const page50 = await countQueries(() => t.request('GET', `${channel}/messages?limit=50&before_seq=1000`, { token: alice }));
    expect(page10).toBeLessThanOrEqual(page50);
    expect(page50 - page10).toBeLessThanOrEqual(1); // before_seq adds one "is there more after" probe
    expect(page50).toBe(3);
  });

  it('query channels: a fixed number of statements, whatever the page size', async () => {
    for (let i = 0; i < 12; i++) {
      const channel = await channelWith(3);
      await t.request('POST', `${channel}/messages`, { token: alice, body: { text: 'hi' } });
    }
    const body = (limit: number) => ({ filter: { type: 'team' }, limit, message_limit: 5, member_limit: 5 });
    const few = await countQueries(() => t.request('POST', '/v1/channels/query', { token: alice, body: body(2) }));
    const many = await countQueries(() => t.request('POST', '/v1/channels/query', { token: alice, body: body(12) }));
    expect(few).toBe(many);
    expect(many).toBe(9); // begin + commit: one consistent snapshot for the whole page
  });
});
