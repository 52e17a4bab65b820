/**
 * Realtime stream position and recovery with the real `centrifuge` client: offsets are channel
 * seqs, a dropped socket recovers exactly the missed publications once and in order, concurrent
 * senders arrive in seq order, recovery and /v1/sync agree, history pages the log.
 */
import type { BrokerMessage } from '../../packages/server/src/engines/broker.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, makeApp, sendOk, type Channel } from '../conversations/helpers.js';
import type { TestApp } from '../support/server.js';
import { client, collect, connected, eventually, rawClient, sleep, startRealtimeServer, stopAll, type RealtimeServer } from './helpers.js';

let s: RealtimeServer;
let app: TestApp;
let tokens: Record<string, string>;
let counter = 0;

beforeAll(async () => {
  s = await startRealtimeServer();
  ({ app, tokens } = await makeApp(s.t, ['alice', 'bob', 'carol', 'dave']));
});
afterEach(() => stopAll());
afterAll(() => s.t.close());

async function room(members = ['bob', 'carol']): Promise<Channel> {
  return createChannel(s.t, tokens.alice!, { type: 'messaging', id: `rec-${++counter}`, members });
}

async function lastSeq(channel: Channel): Promise<number> {
  const result = await s.t.server.services.pool.query('select last_seq from channels where app_id = $1 and type = $2 and id = $3', [app.appId, channel.type, channel.id]);
  return result.rows[0].last_seq;
}

/** Subscribes `user` with a fresh client; returns the client, the subscription and what it sees. */
async function watch(user: string, channel: Channel, options: Record<string, unknown> = {}) {
  const c = client(s.url, { token: tokens[user], ...options });
  c.connect();
  await connected(c);
  const sub = c.newSubscription(`chat:${channel.cid}`);
  const seen = collect(sub);
  const contexts: any[] = [];
  sub.on('subscribed', (ctx) => contexts.push(ctx));
  sub.subscribe();
  await eventually(() => expect(contexts.length).toBe(1));
  return { c, sub, seen, contexts };
}

function offsets(seen: Array<Record<string, any>>): number[] {
  return seen.map((e) => e.__offset);
}

function expectContiguous(list: number[]) {
  for (let i = 1; i < list.length; i++) expect(list[i], `offsets ${list.join(',')}`).toBe(list[i - 1]! + 1);
}

describe('positions', () => {
  it('the subscribe reply carries recoverable, positioned, the last seq as offset, and the epoch', async () => {
    const channel = await room();
    await sendOk(s.t, tokens.alice!, channel, { text: 'one' });
    const top = await lastSeq(channel);
    const { contexts } = await watch('bob', channel);
    expect(contexts[0]).toMatchObject({ recoverable: true, positioned: true, wasRecovering: false, streamPosition: { offset: top, epoch: expect.any(String) } });
    expect(contexts[0].streamPosition.epoch.length).toBeGreaterThan(0);
  });

  it('a message sent via REST arrives as a publication: the event as data, its seq as offset; typing has no offset', async () => {
    const channel = await room();
    const { seen } = await watch('bob', channel);
    const message = await sendOk(s.t, tokens.alice!, channel, { text: 'hi' });
    await s.t.request('POST', `${channel.path}/typing`, { token: tokens.alice, body: { state: 'start' } });
    await eventually(() => expect(seen.map((e) => e.type)).toEqual(['message.new', 'typing.start']));
    expect(seen[0]).toMatchObject({ type: 'message.new', cid: channel.cid, seq: message.seq, __offset: message.seq, message: { id: message.id } });
    expect(seen[1]!.__offset).toBeUndefined();
  });

  it('a channel deleted and created again under the same id has a new epoch, and an old position is not recovered', async () => {
    const channel = await room();
    const { contexts: before } = await watch('bob', channel);
    const old = before[0].streamPosition;
    expect((await s.t.request('DELETE', channel.path, { token: tokens.alice })).status).toBe(200);
    await createChannel(s.t, tokens.alice!, { type: 'messaging', id: channel.id, members: ['bob'] });
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: tokens.bob } }, { id: 2, subscribe: { channel: `chat:${channel.cid}`, recover: true, offset: old.offset, epoch: old.epoch } });
    const reply = (await raw.reply(2)).subscribe;
    expect(reply.epoch).not.toBe(old.epoch);
    expect(reply).toMatchObject({ recovered: false, was_recovering: true });
    expect(reply.publications).toBeUndefined();
    raw.ws.close();
  });
});

describe('recovery', () => {
  it('a dropped socket recovers the publications sent while it was down, in order, without duplicates', async () => {
    const channel = await room();
    // A slow reconnect: the messages below are sent while the client is away.
    const { c, seen, contexts } = await watch('bob', channel, { minReconnectDelay: 2_000, maxReconnectDelay: 2_000 });
    const first = await sendOk(s.t, tokens.alice!, channel, { text: 'before' });
    await eventually(() => expect(seen.map((e) => e.message?.id)).toContain(first.id));

    const connection = s.t.server.gateway.list().find((x) => x.connected && x.userId === 'bob' && x.subscriptions.has(`chat:${channel.cid}`))!;
    connection.terminate();
    await eventually(() => expect(c.state).toBe('connecting'));
    const missed = [];
    for (let i = 0; i < 5; i++) missed.push(await sendOk(s.t, tokens.alice!, channel, { text: `missed ${i}` }));
    expect(c.state).toBe('connecting');

    await eventually(() => expect(contexts.length).toBe(2));
    expect(contexts[1]).toMatchObject({ wasRecovering: true, recovered: true, hasRecoveredPublications: true });
    const after = await sendOk(s.t, tokens.alice!, channel, { text: 'after' });
    await eventually(() => expect(seen.map((e) => e.message?.id)).toContain(after.id));

    const ids = seen.filter((e) => e.type === 'message.new').map((e) => e.message.id);
    expect(ids).toEqual([first.id, ...missed.map((m) => m.id), after.id]);
    expect(new Set(offsets(seen)).size).toBe(seen.length);
    expectContiguous(offsets(seen));
  });

  it('recovery and /v1/sync return the same events in the same order', async () => {
    const channel = await room();
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: tokens.bob } }, { id: 2, subscribe: { channel: `chat:${channel.cid}` } });
    const position = (await raw.reply(2)).subscribe;
    raw.ws.close();
    const { cursor } = (await s.t.request('POST', '/v1/sync', { token: tokens.bob, body: {} })).body;

    const m1 = await sendOk(s.t, tokens.alice!, channel, { text: 'one' });
    await s.t.request('PATCH', `/v1/messages/${m1.id}`, { token: tokens.alice, body: { text: 'one, edited' } });
    await s.t.request('POST', `/v1/messages/${m1.id}/reactions`, { token: tokens.carol, body: { type: 'like' } });
    const m2 = await sendOk(s.t, tokens.carol!, channel, { text: 'two', parent_id: m1.id });
    await s.t.request('POST', `${channel.path}/members`, { token: tokens.alice, body: { user_ids: ['dave'] } });
    await s.t.request('POST', `${channel.path}/read`, { token: tokens.carol, body: {} });
    await s.t.request('DELETE', `/v1/messages/${m2.id}`, { token: tokens.carol });

    const synced = (await s.t.request('POST', '/v1/sync', { token: tokens.bob, body: { since: cursor, cids: [channel.cid] } })).body.events;
    const again = await rawClient(s.url);
    again.send({ id: 1, connect: { token: tokens.bob } }, { id: 2, subscribe: { channel: `chat:${channel.cid}`, recover: true, offset: position.offset, epoch: position.epoch } });
    const recovered = (await again.reply(2)).subscribe;
    again.ws.close();
    expect(recovered.recovered).toBe(true);
    expect(recovered.publications.map((p: any) => p.offset)).toEqual(synced.map((e: any) => e.seq));
    expect(recovered.publications.map((p: any) => p.data)).toEqual(synced);
    expect(synced.length).toBeGreaterThan(6);
  });

  it('a gap beyond the recovery window is not recovered (the client reloads)', async () => {
    const channel = await room();
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: tokens.bob } }, { id: 2, subscribe: { channel: `chat:${channel.cid}` } });
    const position = (await raw.reply(2)).subscribe;
    raw.send({ id: 3, unsubscribe: { channel: `chat:${channel.cid}` } });
    await raw.reply(3);
    // 1,500 events later (written straight to the log: the window is 1,000).
    const { pool } = s.t.server.services;
    await pool.query(
      `insert into events (app_id, type, channel_id, seq, event) select $1, $2, $3, g, jsonb_build_object('type', 'message.read', 'seq', g, 'cid', $4::text) from generate_series($5::int + 1, $5::int + 1500) g`,
      [app.appId, channel.type, channel.id, channel.cid, position.offset],
    );
    await pool.query('update channels set last_seq = last_seq + 1500 where app_id = $1 and type = $2 and id = $3', [app.appId, channel.type, channel.id]);
    raw.send({ id: 4, subscribe: { channel: `chat:${channel.cid}`, recover: true, offset: position.offset, epoch: position.epoch } });
    const far = (await raw.reply(4)).subscribe;
    expect(far).toMatchObject({ recovered: false, was_recovering: true, offset: position.offset + 1500 });
    raw.send({ id: 5, unsubscribe: { channel: `chat:${channel.cid}` } }, { id: 6, subscribe: { channel: `chat:${channel.cid}`, recover: true, offset: position.offset + 600, epoch: position.epoch } });
    const near = (await raw.reply(6)).subscribe;
    expect(near.recovered).toBe(true);
    expect(near.publications).toHaveLength(900);
    // With the reject-unrecovered flag (getState), an unrecoverable position is error 112.
    raw.send({ id: 7, unsubscribe: { channel: `chat:${channel.cid}` } }, { id: 8, subscribe: { channel: `chat:${channel.cid}`, recover: true, offset: position.offset, epoch: position.epoch, flag: 3 } });
    expect((await raw.reply(8)).error).toMatchObject({ code: 112 });
    raw.ws.close();
  });

  it('a pruned log (a hole in the range) is not recovered', async () => {
    const channel = await room();
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: tokens.bob } }, { id: 2, subscribe: { channel: `chat:${channel.cid}` } });
    const position = (await raw.reply(2)).subscribe;
    raw.send({ id: 3, unsubscribe: { channel: `chat:${channel.cid}` } });
    const a = await sendOk(s.t, tokens.alice!, channel, { text: 'a' });
    await sendOk(s.t, tokens.alice!, channel, { text: 'b' });
    await s.t.server.services.pool.query('delete from events where app_id = $1 and type = $2 and channel_id = $3 and seq = $4', [app.appId, channel.type, channel.id, a.seq]);
    raw.send({ id: 4, subscribe: { channel: `chat:${channel.cid}`, recover: true, offset: position.offset, epoch: position.epoch } });
    expect((await raw.reply(4)).subscribe).toMatchObject({ recovered: false });
    raw.ws.close();
  });
});

describe('live order', () => {
  it('concurrent senders arrive in seq order, each once, the same as the log', async () => {
    const channel = await room(['bob', 'carol', 'dave']);
    const { seen } = await watch('bob', channel);
    const senders = ['alice', 'carol', 'dave'];
    const sent = await Promise.all(senders.map(async (user) => {
      const out = [];
      for (let i = 0; i < 15; i++) out.push(await sendOk(s.t, tokens[user]!, channel, { text: `${user} ${i}` }));
      return out;
    }));
    const total = sent.flat().length;
    await eventually(() => expect(seen.filter((e) => e.type === 'message.new')).toHaveLength(total));
    await sleep(100);
    expectContiguous(offsets(seen));
    const raw = await rawClient(s.url);
    raw.send({ id: 1, connect: { token: tokens.bob } }, { id: 2, history: { channel: `chat:${channel.cid}`, limit: -1, since: { offset: seen[0]!.__offset - 1 } } });
    const logged = (await raw.reply(2)).history.publications;
    raw.ws.close();
    expect(offsets(seen)).toEqual(logged.map((p: any) => p.offset));
    expect(seen.map((e) => e.type)).toEqual(logged.map((p: any) => p.data.type));
  });

  /** Wraps the broker's publish so the test decides when a channel's publication goes out. */
  function interceptPublishes(topicEnd: string, hold: (message: BrokerMessage) => number | null) {
    const broker = s.t.server.services.broker;
    const original = broker.publish.bind(broker);
    broker.publish = async (topic, message) => {
      const delay = topic.endsWith(topicEnd) ? hold(message) : 0;
      if (delay === null) return; // dropped: the gap is filled from the log
      if (delay > 0) {
        setTimeout(() => void original(topic, message), delay);
        return;
      }
      return original(topic, message);
    };
    return () => {
      broker.publish = original;
    };
  }

  it('a publication that overtakes an earlier one waits for it', async () => {
    const channel = await room();
    const { seen } = await watch('bob', channel);
    const top = await lastSeq(channel);
    const restore = interceptPublishes(`chat:${channel.cid}`, (m) => (m.offset === top + 1 ? 40 : 0));
    try {
      const first = await sendOk(s.t, tokens.alice!, channel, { text: 'first (published late)' });
      const second = await sendOk(s.t, tokens.alice!, channel, { text: 'second' });
      await eventually(() => expect(seen.map((e) => e.message?.id)).toEqual([first.id, second.id]));
    } finally {
      restore();
    }
  });

  it('a publication that never comes is read from the log', async () => {
    const channel = await room();
    const { seen } = await watch('bob', channel);
    const top = await lastSeq(channel);
    const restore = interceptPublishes(`chat:${channel.cid}`, (m) => (m.offset === top + 1 ? null : 0));
    try {
      const lost = await sendOk(s.t, tokens.alice!, channel, { text: 'lost in transit' });
      const next = await sendOk(s.t, tokens.alice!, channel, { text: 'next' });
      await eventually(() => expect(seen.map((e) => e.message?.id)).toEqual([lost.id, next.id]));
      expectContiguous(offsets(seen));
    } finally {
      restore();
    }
  });
});

describe('history', () => {
  it('pages the log with limit, since and reverse', async () => {
    const channel = await room();
    const sent = [];
    for (let i = 0; i < 6; i++) sent.push(await sendOk(s.t, tokens.alice!, channel, { text: `h${i}` }));
    const c = client(s.url, { token: tokens.bob });
    c.connect();
    await connected(c);
    const name = `chat:${channel.cid}`;
    const position = await c.history(name);
    expect(position.publications).toEqual([]);
    expect(position.offset).toBe(sent[5].seq);
    const newest = await c.history(name, { limit: 2, reverse: true });
    expect(newest.publications.map((p) => p.data.message.text)).toEqual(['h5', 'h4']);
    const after = await c.history(name, { limit: 3, since: { offset: sent[1].seq, epoch: position.epoch } });
    expect(after.publications.map((p) => p.data.message.text)).toEqual(['h2', 'h3', 'h4']);
    const before = await c.history(name, { limit: 2, reverse: true, since: { offset: sent[3].seq, epoch: position.epoch } });
    expect(before.publications.map((p) => p.data.message.text)).toEqual(['h2', 'h1']);
    await expect(c.history(name, { limit: 2, since: { offset: 1, epoch: 'not-the-epoch' } })).rejects.toMatchObject({ code: 112 });
    await expect(c.history(name, { limit: 2 }).then(() => c.history('chat:messaging:nope', { limit: 1 }))).rejects.toMatchObject({ code: 103 });
  });
});
