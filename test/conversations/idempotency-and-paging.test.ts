/** Idempotent sends (client_msg_id / Idempotency-Key, under concurrency) and seq paging of message lists. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, expectError, inBatches, putType, send, sendOk, startWorld, type Channel, type World } from './helpers.js';

let w: World;
let alice: string, bob: string, dave: string;

beforeAll(async () => {
  w = await startWorld(['alice', 'bob', 'dave']);
  ({ alice, bob, dave } = w.tokens as Record<string, string>);
});
afterAll(() => w.t.close());

const ids = (messages: any[]) => messages.map((m) => m.id);
const seqs = (messages: any[]) => messages.map((m) => m.seq as number);
const rowCount = async (where: string, params: unknown[]) => (await w.db.query(`select count(*)::int as n from messages where ${where}`, params)).rows[0].n as number;

/** The channel's seq counter matches its event log exactly: every seq taken once, none lost. */
async function expectSeqLogConsistent(channel: Channel) {
  const result = await w.db.query(
    `select c.last_seq, count(e.seq)::int as events, count(distinct e.seq)::int as distinct_seqs, coalesce(max(e.seq), 0)::int as max_seq
     from channels c left join events e on e.app_id = c.app_id and e.type = c.type and e.channel_id = c.id
     where c.app_id = $1 and c.type = $2 and c.id = $3 group by c.last_seq`,
    [w.app.appId, channel.type, channel.id],
  );
  const { last_seq, events, distinct_seqs, max_seq } = result.rows[0];
  expect({ events, distinct_seqs, max_seq }).toEqual({ events: last_seq, distinct_seqs: last_seq, max_seq: last_seq });
}

describe('idempotency', () => {
  let room: Channel;
  beforeAll(async () => {
    room = await createChannel(w.t, alice, { type: 'messaging', id: 'idem', members: ['bob'] });
  });

  it('replays a retry with 200 and the identical body; a different body is 409', async () => {
    const body = { text: 'hello **bob**', client_msg_id: 'k1', custom: { n: 1 } };
    const first = await send(w.t, alice, room, body);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.message.client_msg_id).toBe('k1');
    const retry = await send(w.t, alice, room, body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);

    expectError(await send(w.t, alice, room, { ...body, text: 'something else' }), 409, 'IDEMPOTENCY_KEY_REUSED');
    expectError(await send(w.t, alice, room, { ...body, custom: { n: 2 } }), 409, 'IDEMPOTENCY_KEY_REUSED');
    const other = await createChannel(w.t, alice, { type: 'messaging', id: 'idem-other', members: ['bob'] });
    expectError(await send(w.t, alice, other, body), 409, 'IDEMPOTENCY_KEY_REUSED');
    // Keys belong to their user.
    const bobs = await send(w.t, bob, room, body);
    expect(bobs.status).toBe(201);
    expect(bobs.body.message.id).not.toBe(first.body.message.id);

    expect(await rowCount("client_msg_id = 'k1'", [])).toBe(2);
    expect(await rowCount("type = 'messaging' and channel_id = 'idem-other'", [])).toBe(0);
    const list = await w.t.request('GET', `${room.path}/messages`, { token: alice });
    expect(list.body.messages.map((m: any) => [m.user.id, m.text])).toEqual([['alice', 'hello **bob**'], ['bob', 'hello **bob**']]);
  });

  it('accepts the Idempotency-Key header as an alias of client_msg_id', async () => {
    const first = await send(w.t, alice, room, { text: 'via header' }, { 'idempotency-key': 'k2' });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.message.client_msg_id).toBe('k2');
    const retry = await send(w.t, alice, room, { text: 'via header' }, { 'idempotency-key': 'k2' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    const inBody = await send(w.t, alice, room, { text: 'via header', client_msg_id: 'k2' });
    expect(inBody.status).toBe(200);
    expect(inBody.body).toEqual(first.body);
    expectError(await send(w.t, alice, room, { text: 'changed' }, { 'idempotency-key': 'k2' }), 409, 'IDEMPOTENCY_KEY_REUSED');
    expectError(await send(w.t, alice, room, { text: 'x', client_msg_id: 'k3' }, { 'idempotency-key': 'k4' }), 400, 'VALIDATION_ERROR');
    expect(await rowCount("client_msg_id in ('k2', 'k3', 'k4')", [])).toBe(1);
  });

  it('treats a retry whose JSON keys come in another order as the same body', async () => {
    const first = await send(w.t, alice, room, {
      client_msg_id: 'k5',
      text: 'ordered',
      custom: { a: 1, nested: { x: 1, y: [{ p: 1, q: 2 }] } },
      attachments: [{ type: 'image', url: 'https://cdn.example.com/a.png', title: 'A' }],
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const retry = await send(w.t, alice, room, {
      attachments: [{ title: 'A', url: 'https://cdn.example.com/a.png', type: 'image' }],
      custom: { nested: { y: [{ q: 2, p: 1 }], x: 1 }, a: 1 },
      text: 'ordered',
      client_msg_id: 'k5',
    });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body).toEqual(first.body);
    expectError(await send(w.t, alice, room, { client_msg_id: 'k5', text: 'ordered', custom: { a: 1, nested: { x: 2, y: [{ p: 1, q: 2 }] } }, attachments: first.body.message.attachments }), 409, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('stores exactly one message for 10 parallel identical sends, without a seq gap', async () => {
    const race = await createChannel(w.t, alice, { type: 'messaging', id: 'race', members: ['bob'] });
    const before = await sendOk(w.t, alice, race, { text: 'before' });
    const body = { text: 'only once', client_msg_id: 'race-1' };
    const results = await Promise.all(Array.from({ length: 10 }, () => send(w.t, alice, race, body)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const created = results.find((r) => r.status === 201)!;
    for (const r of results) expect(r.body).toEqual(created.body);
    expect(created.body.message.seq).toBe(before.seq + 1);
    expect(await rowCount("client_msg_id = 'race-1'", [])).toBe(1);
    expect(await rowCount("type = 'messaging' and channel_id = 'race'", [])).toBe(2);

    const after = await sendOk(w.t, alice, race, { text: 'after' });
    expect(after.seq).toBe(created.body.message.seq + 1);
    await expectSeqLogConsistent(race);
    const list = await w.t.request('GET', `${race.path}/messages`, { token: bob });
    expect(list.body.messages.map((m: any) => m.text)).toEqual(['before', 'only once', 'after']);
  });

  it('lets one of 10 parallel sends with one key and different bodies win; the rest get 409', async () => {
    const race = await createChannel(w.t, alice, { type: 'messaging', id: 'race-bodies', members: ['bob'] });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => send(w.t, alice, race, { text: `body ${i}`, client_msg_id: 'race-2' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) expectError(r, 409, 'IDEMPOTENCY_KEY_REUSED');
    expect(await rowCount("client_msg_id = 'race-2'", [])).toBe(1);
    await expectSeqLogConsistent(race);
  });

  it('lets one channel win when one key is used in several channels at once', async () => {
    const channels = await Promise.all([1, 2, 3, 4].map((i) => createChannel(w.t, alice, { type: 'messaging', id: `spread-${i}`, members: ['bob'] })));
    const results = await Promise.all(channels.map((c) => send(w.t, alice, c, { text: 'same', client_msg_id: 'spread' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) expectError(r, 409, 'IDEMPOTENCY_KEY_REUSED');
    expect(await rowCount("client_msg_id = 'spread'", [])).toBe(1);
    for (const c of channels) await expectSeqLogConsistent(c);
  });

  it('replays parallel retries even in slow mode', async () => {
    await putType(w.t, w.app, 'slowidem', { slow_mode_seconds: 60 });
    const slow = await createChannel(w.t, alice, { type: 'slowidem', id: 'slow', members: ['bob'] });
    const results = await Promise.all(Array.from({ length: 5 }, () => send(w.t, bob, slow, { text: 'patience', client_msg_id: 'slow-1' })));
    expect(results.map((r) => r.status).sort(), JSON.stringify(results.map((r) => r.body))).toEqual([200, 200, 200, 200, 201]);
    expectError(await send(w.t, bob, slow, { text: 'a new one' }), 429, 'SLOW_MODE');
  });
});

describe('paging', () => {
  it('pages before, after and around a seq or message', async () => {
    const ch = await createChannel(w.t, alice, { type: 'messaging', id: 'around', members: ['bob'] });
    const sent: any[] = [];
    for (let i = 0; i < 20; i++) sent.push(await sendOk(w.t, i % 2 ? bob : alice, ch, { text: `n${i}` }));
    const get = async (query: string, token = bob) => {
      const res = await w.t.request('GET', `${ch.path}/messages?${query}`, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    const latest = await get('limit=5');
    expect(ids(latest.messages)).toEqual(ids(sent.slice(15)));
    expect(latest).toMatchObject({ has_more_before: true, has_more_after: false });
    const before = await get(`limit=5&before_seq=${sent[15].seq}`);
    expect(ids(before.messages)).toEqual(ids(sent.slice(10, 15)));
    expect(before).toMatchObject({ has_more_before: true, has_more_after: true });
    const after = await get(`limit=5&after_seq=${sent[2].seq}`);
    expect(ids(after.messages)).toEqual(ids(sent.slice(3, 8)));
    expect(after).toMatchObject({ has_more_before: true, has_more_after: true });
    const start = await get('limit=5&after_seq=0');
    expect(ids(start.messages)).toEqual(ids(sent.slice(0, 5)));
    expect(start.has_more_before).toBe(false);
    const aroundId = await get(`limit=6&around_id=${sent[10].id}`);
    expect(ids(aroundId.messages)).toEqual(ids(sent.slice(7, 13)));
    expect(aroundId).toMatchObject({ has_more_before: true, has_more_after: true });
    const aroundSeq = await get(`limit=6&around_seq=${sent[10].seq}`);
    expect(aroundSeq.messages).toEqual(aroundId.messages);
    const aroundEdge = await get(`limit=6&around_id=${sent[1].id}`);
    expect(ids(aroundEdge.messages)).toEqual(ids(sent.slice(0, 4)));
    expect(aroundEdge).toMatchObject({ has_more_before: false, has_more_after: true });

    expectError(await w.t.request('GET', `${ch.path}/messages?limit=201`, { token: bob }), 400, 'VALIDATION_ERROR');
    expectError(await w.t.request('GET', `${ch.path}/messages?limit=0`, { token: bob }), 400, 'VALIDATION_ERROR');
    expectError(await w.t.request('GET', `${ch.path}/messages`, { token: dave }), 404, 'NOT_FOUND');
    // around_id must name a message of this channel: no peeking at other channels' seqs.
    const secret = await createChannel(w.t, dave, { type: 'messaging', id: 'dave-only' });
    const hidden = await sendOk(w.t, dave, secret, { text: 'hidden' });
    expectError(await w.t.request('GET', `${ch.path}/messages?around_id=${hidden.id}`, { token: bob }), 404, 'NOT_FOUND');
  });

  it('pages 5,000 messages backwards and forwards with limit 200 while messages keep arriving', async () => {
    const big = await createChannel(w.t, alice, { type: 'messaging', id: 'big', members: ['bob'] });
    // 4,000 history rows written directly (the send path is exercised by the 1,000+ below)...
    await w.db.query(
      `insert into messages (app_id, id, type, channel_id, seq, user_id, text, html, created_at, updated_at)
       select $1, gen_random_uuid(), 'messaging', 'big', s, case when s % 2 = 0 then 'alice' else 'bob' end, 'seed ' || s, '<p>seed ' || s || '</p>',
              now() - make_interval(secs => 10000 - s), now() - make_interval(secs => 10000 - s)
       from generate_series(2, 4001) as s`,
      [w.app.appId],
    );
    await w.db.query(`update channels set last_seq = 4001 where app_id = $1 and type = 'messaging' and id = 'big'`, [w.app.appId]);
    // ...then 1,000 through the API, 50 at a time.
    const sent = await inBatches(Array.from({ length: 1000 }, (_, i) => i), 50, (i) => send(w.t, i % 2 ? bob : alice, big, { text: `api ${i}` }));
    expect(sent.every((r) => r.status === 201)).toBe(true);

    let sending = true;
    let extra = 0;
    const sender = (async () => {
      while (sending) {
        const batch = await Promise.all(Array.from({ length: 5 }, () => send(w.t, extra % 2 ? alice : bob, big, { text: `live ${extra++}` })));
        expect(batch.every((r) => r.status === 201)).toBe(true);
      }
    })();
    const page = async (query: string) => {
      const res = await w.t.request('GET', `${big.path}/messages?limit=200${query}`, { token: bob });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const s = seqs(res.body.messages);
      expect(s).toEqual([...s].sort((a, b) => a - b));
      expect(new Set(s).size).toBe(s.length);
      expect(s.length).toBeLessThanOrEqual(200);
      return res.body;
    };

    try {
      // Backwards from the newest.
      const backward: number[] = [];
      let current = await page('');
      const top = current.messages.at(-1).seq as number;
      for (;;) {
        backward.unshift(...seqs(current.messages));
        if (!current.has_more_before) break;
        expect(current.messages).toHaveLength(200);
        current = await page(`&before_seq=${current.messages[0].seq}`);
        expect(current.has_more_after).toBe(true);
      }
      const upToTop = (await w.db.query(`select seq from messages where app_id = $1 and type = 'messaging' and channel_id = 'big' and seq <= $2 order by seq`, [w.app.appId, top])).rows.map((r) => r.seq);
      expect(backward).toEqual(upToTop);
      expect(backward.length).toBeGreaterThanOrEqual(5000);

      // Forwards from the start until caught up with the sender, then stop it and catch up again.
      const forward: number[] = [];
      let after = 0;
      const drain = async () => {
        for (;;) {
          const next = await page(`&after_seq=${after}`);
          forward.push(...seqs(next.messages));
          if (next.messages.length > 0) after = next.messages.at(-1).seq;
          if (!next.has_more_after) return;
          expect(next.messages).toHaveLength(200);
        }
      };
      await drain();
      sending = false;
      await sender;
      await drain();
      const all = (await w.db.query(`select seq from messages where app_id = $1 and type = 'messaging' and channel_id = 'big' order by seq`, [w.app.appId])).rows.map((r) => r.seq);
      expect(forward).toEqual(all);
      expect(all.length).toBe(5000 + extra);
      expect(extra).toBeGreaterThan(0);
      // Every message of the channel took the next seq: 1 (channel.created) then 2..n, no gap.
      expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 2));
      // Sent concurrently, yet a later seq never carries an earlier created_at.
      const times = (await w.t.request('GET', `${big.path}/messages?limit=200`, { token: alice })).body.messages.map((m: any) => m.created_at);
      expect(times).toEqual([...times].sort());
    } finally {
      sending = false;
      await sender;
    }
  }, 300_000);
});
