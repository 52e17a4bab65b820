/**
 * Verify-action (Zulip's best test): fetch state, run an action, capture the events it published,
 * apply them to the old state with the protocol's pure reducer, refetch, and require equality.
 * One test per action; each proves the events carry everything a client needs.
 */
import { applyChannelEvent, type ChannelState, type WireEvent } from '@parley/protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp, type TestServer } from '../support/server.js';

let t: TestServer;
let app: TestApp;
const tokens: Record<string, string> = {};
let channel: { type: string; id: string };
let counter = 0;

const path = () => `/v1/channels/${channel.type}/${channel.id}`;

async function state(viewer: string): Promise<ChannelState> {
  const response = await t.request('GET', `${path()}?message_limit=200`, { token: tokens[viewer] });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

function normalize(s: ChannelState) {
  const { cursor: _cursor, ...rest } = s;
  return { ...rest, read: [...rest.read].sort((a, b) => a.user_id.localeCompare(b.user_id)) };
}

/** Runs `action` and checks that old state + captured events == refetched state, for each viewer. */
async function verify(action: () => Promise<unknown>, viewers = ['bob', 'alice']) {
  const { channelTopic, userTopic } = await import('../../packages/server/src/engines/broker.js');
  const broker = t.server.services.broker;
  const before = new Map<string, ChannelState>();
  const captured = new Map<string, WireEvent[]>();
  const unsubscribe: Array<() => void> = [];
  for (const viewer of viewers) {
    before.set(viewer, await state(viewer));
    const events: WireEvent[] = [];
    captured.set(viewer, events);
    const cid = `${channel.type}:${channel.id}`;
    unsubscribe.push(broker.subscribe(channelTopic(app.appId, channel.type, channel.id), (m) => events.push(m.event as WireEvent)));
    unsubscribe.push(broker.subscribe(userTopic(app.appId, viewer), (m) => (m.event as WireEvent).cid === cid && m.event.type.startsWith('notification.') && events.push(m.event as WireEvent)));
  }
  try {
    await action();
  } finally {
    unsubscribe.forEach((u) => u());
  }
  for (const viewer of viewers) {
    const events = captured.get(viewer)!;
    expect(events.length, 'the action published events').toBeGreaterThan(0);
    const applied = events.reduce((s, e) => applyChannelEvent(s, e, viewer), before.get(viewer)!);
    expect(normalize(applied), `viewer ${viewer}`).toEqual(normalize(await state(viewer)));
  }
}

const as = (user: string) => ({ token: tokens[user] });

async function send(user: string, body: Record<string, unknown>) {
  const response = await t.request('POST', `${path()}/messages`, { ...as(user), body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.message;
}

beforeAll(async () => {
  t = await startTestServer();
  app = await t.createApp();
  await app.upsertUsers([{ id: 'alice', name: 'Alice' }, { id: 'bob', name: 'Bob' }, { id: 'carol', name: 'Carol' }, { id: 'dave', name: 'Dave' }]);
  for (const u of ['alice', 'bob', 'carol', 'dave']) tokens[u] = await app.token(u);
  // Each test sends and reads quickly as the same few users.
  await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { limits: { messages_per_minute_per_user: 100000, requests_per_second_per_user: 100000 } } } });
});
afterAll(() => t.close());

beforeEach(async () => {
  const id = `room-${++counter}`;
  const created = await t.request('POST', '/v1/channels', { ...as('alice'), body: { type: 'messaging', id, name: 'Room', members: ['bob', 'carol'] } });
  expect(created.status).toBe(201);
  channel = { type: 'messaging', id };
});

describe('verify-action', () => {
  it('send a message', () => verify(() => send('alice', { text: 'hello' })));
  it('send a message mentioning the viewer', () => verify(() => send('alice', { text: 'hi @bob' })));
  it('send own message (moves own read pointer)', () => verify(() => send('bob', { text: 'mine' })));
  it('reply in a thread, hidden and shown in the channel', async () => {
    const parent = await send('alice', { text: 'parent' });
    await verify(() => send('bob', { text: 'reply', parent_id: parent.id }));
    await verify(() => send('carol', { text: 'shown reply', parent_id: parent.id, show_in_channel: true }));
  });
  it('quote a message, then delete the quoted one', async () => {
    const quoted = await send('alice', { text: 'quote me' });
    await verify(() => send('bob', { text: 'quoting', quoted_message_id: quoted.id }));
    await verify(() => t.request('DELETE', `/v1/messages/${quoted.id}`, as('alice')));
  });
  it('edit a message', async () => {
    const message = await send('alice', { text: 'before' });
    await verify(() => t.request('PATCH', `/v1/messages/${message.id}`, { ...as('alice'), body: { text: 'after **bold**' } }));
  });
  it('soft delete an unread message', async () => {
    const message = await send('alice', { text: 'oops @bob' });
    await verify(() => t.request('DELETE', `/v1/messages/${message.id}`, as('alice')));
  });
  it('hard delete', async () => {
    const message = await send('alice', { text: 'gone' });
    await verify(() => t.request('DELETE', `/v1/messages/${message.id}?hard=true`, { token: app.serverToken }));
  });
  it('react, react uniquely, remove a reaction', async () => {
    const message = await send('alice', { text: 'react to me' });
    await verify(() => t.request('POST', `/v1/messages/${message.id}/reactions`, { ...as('bob'), body: { type: 'like' } }));
    await verify(() => t.request('POST', `/v1/messages/${message.id}/reactions`, { ...as('bob'), body: { type: 'love', enforce_unique: true } }));
    await verify(() => t.request('POST', `/v1/messages/${message.id}/reactions`, { ...as('alice'), body: { type: 'love', score: 3 } }));
    await verify(() => t.request('DELETE', `/v1/messages/${message.id}/reactions/love`, as('bob')));
  });
  it('pin and unpin', async () => {
    const message = await send('alice', { text: 'pin me' });
    await verify(() => t.request('POST', `/v1/messages/${message.id}/pin`, { ...as('alice'), body: {} }));
    await verify(() => t.request('DELETE', `/v1/messages/${message.id}/pin`, as('alice')));
  });
  it('mark read (viewer and another member) and delivered', async () => {
    await send('alice', { text: 'one' });
    await send('carol', { text: 'two @bob' });
    await verify(() => t.request('POST', `${path()}/read`, { ...as('bob'), body: {} }));
    // carol has read up to her own message: she needs something new, or marking read is a no-op
    await send('alice', { text: 'one more' });
    await verify(() => t.request('POST', `${path()}/read`, { ...as('carol'), body: {} }));
    await send('alice', { text: 'three' });
    const latest = (await state('bob')).channel;
    void latest;
    await verify(() => t.request('POST', `${path()}/delivered`, { ...as('bob'), body: { seq: 1000 } }));
  });
  it('add, promote and remove a member', async () => {
    await verify(() => t.request('POST', `${path()}/members`, { ...as('alice'), body: { user_ids: ['dave'] } }));
    await verify(() => t.request('PATCH', `${path()}/members/dave`, { ...as('alice'), body: { role: 'moderator' } }));
    await verify(() => t.request('DELETE', `${path()}/members`, { ...as('alice'), body: { user_ids: ['dave'] } }));
  });
  it('rename (with its system message) and freeze', async () => {
    await verify(() => t.request('PATCH', path(), { ...as('alice'), body: { set: { name: 'New name', custom: { topic: 'x' } } } }));
    await verify(() => t.request('PATCH', path(), { ...as('alice'), body: { set: { frozen: true } } }));
  });
  it('truncate', async () => {
    await send('alice', { text: 'old' });
    await verify(() => t.request('POST', `${path()}/truncate`, as('alice')));
  });
  it('own membership flags', async () => {
    await verify(() => t.request('PATCH', `${path()}/membership`, { ...as('bob'), body: { starred: true, archived: true } }), ['bob']);
    await verify(() => t.request('PATCH', `${path()}/membership`, { ...as('bob'), body: { muted_until: '2099-01-01T00:00:00.000Z', notifications: 'mentions' } }), ['bob']);
  });
  it('a new message unhides a hidden channel', async () => {
    await t.request('PATCH', `${path()}/membership`, { ...as('bob'), body: { hidden: true } });
    await verify(() => send('alice', { text: 'wake up' }));
  });
  it('delete the channel', async () => {
    const viewer = await state('bob');
    const events: WireEvent[] = [];
    const { channelTopic } = await import('../../packages/server/src/engines/broker.js');
    const off = t.server.services.broker.subscribe(channelTopic(app.appId, channel.type, channel.id), (m) => events.push(m.event as WireEvent));
    await t.request('DELETE', path(), as('alice'));
    off();
    const applied = events.reduce((s, e) => applyChannelEvent(s, e, 'bob'), viewer);
    expect(applied.channel.deleted_at).not.toBeNull();
    expect((await t.request('GET', path(), as('bob'))).status).toBe(404);
  });
});
