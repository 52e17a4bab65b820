/** POST /v1/sync: cursors, exactly the events since, commit order, removal, retention, paging. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSyncCursor, encodeSyncCursor } from '../../packages/server/src/actions/sync-cursor.js';
import { addApp, ch, expectError, SERVER, startWorld, type Api, type World } from './channel-helpers.js';

let w: World;
let api: Api;
beforeAll(async () => {
  w = await startWorld({ alice: 'Alice', bob: 'Bob', carol: 'Carol', dave: 'Dave' });
  api = w.api;
});
afterAll(() => w.t.close());

const types = (events: any[]) => events.map((e) => e.type);

/** Each channel's events carry strictly increasing seqs. */
function expectSeqOrder(events: any[]) {
  const last = new Map<string, number>();
  for (const e of events.filter((x) => x.seq !== undefined)) {
    expect(e.seq, `${e.cid} ${e.type}`).toBeGreaterThan(last.get(e.cid) ?? 0);
    last.set(e.cid, e.seq);
  }
}

describe('cursor and order', () => {
  it('without since: no events and a cursor', async () => {
    await api.create('alice', { type: 'team', id: 'quiet', members: ['bob'] });
    await api.send('alice', 'team:quiet', 'before any cursor');
    const res = await api.sync('bob');
    expect(res).toEqual({ events: [], cursor: expect.any(String), has_more: false });
    expect((await api.sync('bob', res.cursor)).events).toEqual([]);
  });

  it('returns exactly the events since the cursor, in commit order, each channel’s seq increasing', async () => {
    const x = 'team:sync-x';
    const y = 'team:sync-y';
    await api.create('alice', { type: 'team', id: 'sync-x', members: ['bob'] });
    await api.create('bob', { type: 'team', id: 'sync-y', members: ['alice'] });
    await api.send('alice', x, 'old news');
    const { cursor } = await api.sync('bob');

    const m1 = await api.send('alice', x, 'hello');
    await api.ok('alice', 'PATCH', `/v1/messages/${m1.id}`, { text: 'hello, edited' });
    await api.ok('bob', 'POST', `/v1/messages/${m1.id}/reactions`, { type: 'like' });
    await api.send('alice', y, 'in y');
    await api.addMembers('alice', x, ['carol']);
    await api.markRead('bob', x);
    await api.ok('bob', 'PATCH', ch(y), { set: { custom: { topic: 'sync' } } });

    const res = await api.sync('bob', cursor);
    expect(res.has_more).toBe(false);
    expect(res.events.map((e: any) => [e.type, e.cid])).toEqual([
      ['message.new', x],
      ['message.updated', x],
      ['reaction.new', x],
      ['message.new', y],
      ['member.added', x],
      ['message.new', x],
      ['message.read', x],
      ['channel.updated', y],
    ]);
    expectSeqOrder(res.events);
    expect(res.events[0].message).toMatchObject({ id: m1.id, text: 'hello' });
    expect(res.events[1].message.text).toBe('hello, edited');
    expect(res.events[4].member.user_id).toBe('carol');
    expect(res.events[5].message).toMatchObject({ type: 'system', text: 'Alice added Carol' });
    for (const e of res.events) expect(e).toMatchObject({ cid: expect.any(String), seq: expect.any(Number), created_at: expect.any(String) });

    // the next cursor continues where this one ended; cids narrows channel events
    expect((await api.sync('bob', res.cursor)).events).toEqual([]);
    await api.send('alice', y, 'only y');
    await api.send('alice', x, 'only x');
    expect((await api.sync('bob', res.cursor, [y])).events.map((e: any) => e.message.text)).toEqual(['only y']);
    // the state's cursor is a sync cursor too
    const state = await api.state('carol', x);
    await api.send('alice', x, 'after state');
    expect((await api.sync('carol', state.cursor)).events.map((e: any) => e.message?.text)).toEqual(['after state']);
  });

  it('exactly once even while another transaction stays open', async () => {
    const cid = 'team:held';
    await api.create('alice', { type: 'team', id: 'held', members: ['bob'] });
    const held = new pg.Client({ connectionString: w.t.server.services.config.databaseUrl ?? undefined });
    await held.connect();
    try {
      await held.query('begin');
      await held.query('select pg_current_xact_id()');
      await api.send('alice', cid, 'before cursor');
      const { cursor } = await api.sync('bob');
      await api.send('alice', cid, 'after cursor');
      const first = await api.sync('bob', cursor);
      expect(first.events.map((e: any) => e.message.text)).toEqual(['after cursor']);
      await api.send('alice', cid, 'later still');
      const second = await api.sync('bob', first.cursor);
      expect(second.events.map((e: any) => e.message.text)).toEqual(['later still']);
      await held.query('commit');
      expect((await api.sync('bob', second.cursor)).events).toEqual([]);
    } finally {
      await held.end();
    }
  });
});

describe('membership', () => {
  it('a removed member gets notification.removed_from_channel and nothing after it', async () => {
    const cid = 'team:leaving';
    const { cursor } = await api.sync('dave');
    await api.create('alice', { type: 'team', id: 'leaving', members: ['dave'] });
    await api.send('alice', cid, 'while a member');
    await api.removeMembers('alice', cid, ['dave']);
    await api.send('alice', cid, 'after removal');
    await api.ok('alice', 'PATCH', ch(cid), { set: { name: 'Secret' } });
    const res = await api.sync('dave', cursor);
    const mine = res.events.filter((e: any) => e.cid === cid);
    expect(types(mine)).toContain('notification.added_to_channel');
    expect(types(mine)[mine.length - 1]).toBe('notification.removed_from_channel');
    expect(JSON.stringify(res.events)).not.toContain('after removal');
    expect(JSON.stringify(res.events)).not.toContain('Secret');

    await api.send('alice', cid, 'even later');
    expect((await api.sync('dave', res.cursor)).events).toEqual([]);
  });

  it('a member added later sees events from the moment they joined', async () => {
    const cid = 'team:joining';
    await api.create('alice', { type: 'team', id: 'joining', members: ['bob'] });
    await api.send('alice', cid, 'before carol');
    const { cursor } = await api.sync('carol');
    await api.send('alice', cid, 'still before carol');
    await api.addMembers('alice', cid, ['carol']);
    await api.send('bob', cid, 'carol is here');
    const events = (await api.sync('carol', cursor)).events.filter((e: any) => e.cid === cid);
    expect(JSON.stringify(events)).not.toContain('before carol');
    expect(types(events)).toEqual(['member.added', 'notification.added_to_channel', 'message.new', 'message.new']);
    expect(events.map((e: any) => e.message?.text).filter(Boolean)).toEqual(['Alice added Carol', 'carol is here']);
  });

  it('a write that started before the join but took the channel after it is the new member’s to see', async () => {
    const cid = 'team:racing';
    await api.create('alice', { type: 'team', id: 'racing', members: ['bob'] });
    const { cursor } = await api.sync('dave');
    await api.addMembers('alice', cid, ['dave']);
    const sent = await api.send('bob', cid, 'sent as dave joined');
    // Its transaction began before the join (it waited for the channel lock): its events carry
    // that earlier time. Position in the channel, not time, decides what the member may see.
    await w.t.server.services.pool.query(`update events set created_at = now() - interval '1 minute' where app_id = $1 and type = 'team' and channel_id = 'racing' and event->'message'->>'id' = $2`, [w.app.appId, sent.id]);
    const texts = (await api.sync('dave', cursor)).events.filter((e: any) => e.cid === cid).map((e: any) => e.message?.text).filter(Boolean);
    expect(texts).toContain('sent as dave joined');
  });
});

describe('retention and paging', () => {
  const reencode = (cursor: string, change: (v: any) => void) => {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    change(value);
    return Buffer.from(JSON.stringify(value)).toString('base64url');
  };

  it('a cursor older than the retention window is 409 RESYNC_REQUIRED; a bad one is VALIDATION_ERROR', async () => {
    const other = await addApp(w.t, 'retention', { rita: 'Rita' });
    await other.api.ok(SERVER, 'PATCH', '/v1/app', { settings: { event_retention_days: 1 } });
    const { cursor } = await other.api.sync('rita');
    const old = reencode(cursor, (v) => (v.t = Date.now() - 2 * 86_400_000));
    expectError(await other.api.req('rita', 'POST', '/v1/sync', { since: old }), 409, 'RESYNC_REQUIRED');
    const recent = reencode(cursor, (v) => (v.t = Date.now() - 12 * 3_600_000));
    expect((await other.api.req('rita', 'POST', '/v1/sync', { since: recent })).status).toBe(200);
    // the default window is 30 days
    const twoDays = reencode((await api.sync('bob')).cursor, (v) => (v.t = Date.now() - 2 * 86_400_000));
    expect((await api.req('bob', 'POST', '/v1/sync', { since: twoDays })).status).toBe(200);
    const ancient = reencode((await api.sync('bob')).cursor, (v) => (v.t = Date.now() - 31 * 86_400_000));
    expectError(await api.req('bob', 'POST', '/v1/sync', { since: ancient }), 409, 'RESYNC_REQUIRED');

    for (const since of ['not a cursor', Buffer.from('{"x":1}').toString('base64url'), Buffer.from('[]').toString('base64url')]) {
      expectError(await api.req('bob', 'POST', '/v1/sync', { since }), 400, 'VALIDATION_ERROR');
    }
    expectError(await api.req('bob', 'POST', '/v1/sync', { since: reencode(cursor, (v) => (v.s = '5.1.9')) }), 400, 'VALIDATION_ERROR');
  });

  it('cursors stay short with many transactions in flight; cursors of the earlier format still work', async () => {
    const xip = Array.from({ length: 400 }, (_, i) => 1_000_000n + BigInt(i * 3));
    const encoded = encodeSyncCursor({ snapshot: { xmin: 1_000_000n, xmax: 1_002_000n, xip }, eventId: 0 });
    expect(encoded.length).toBeLessThanOrEqual(512);
    expect(decodeSyncCursor(encoded).snapshot).toEqual({ xmin: 1_000_000n, xmax: 1_000_000n, xip: [] });
    const small = { xmin: 5n, xmax: 9n, xip: [6n, 8n] };
    expect(decodeSyncCursor(encodeSyncCursor({ snapshot: small, upto: small, eventId: 7 }))).toMatchObject({ snapshot: small, upto: small, eventId: 7 });

    await api.create('alice', { type: 'team', id: 'legacy', members: ['bob'] });
    const xmin = (await w.t.server.services.pool.query('select pg_snapshot_xmin(pg_current_snapshot())::text as x')).rows[0].x;
    const legacy = Buffer.from(JSON.stringify({ x: xmin, e: 0, t: Date.now() })).toString('base64url');
    await api.send('alice', 'team:legacy', 'via an old cursor');
    const res = await api.sync('bob', legacy);
    expect(res.events.map((e: any) => e.message?.text)).toContain('via an old cursor');
  });

  it('more than 500 events come in pages with has_more, none lost or repeated', async () => {
    const crowd = Array.from({ length: 100 }, (_, i) => `c${i}`);
    const cid = 'team:busy';
    await api.create('alice', { type: 'team', id: 'busy', members: ['bob'] });
    const { cursor } = await api.sync('bob');
    const writes: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      await api.addMembers('alice', cid, crowd);
      // another channel's writes interleave
      writes.push(api.send('alice', 'team:sync-x', `interleaved ${round}`));
      await api.removeMembers('alice', cid, crowd);
    }
    await Promise.all(writes);
    const all = await api.syncAll('bob', cursor);
    expect(all.pages).toBeGreaterThanOrEqual(2);
    const busy = all.events.filter((e: any) => e.cid === cid);
    expect(busy).toHaveLength(3 * (100 + 1 + 100 + 1));
    expect(all.events.filter((e: any) => e.cid === 'team:sync-x').map((e: any) => e.message.text).sort()).toEqual(['interleaved 0', 'interleaved 1', 'interleaved 2']);
    expectSeqOrder(all.events);
    const logged = await w.t.server.services.pool.query(
      `select seq from events where app_id = $1 and type = 'team' and channel_id = 'busy' and seq > 0 and event->>'type' <> 'channel.created' order by seq`,
      [w.app.appId],
    );
    expect(busy.map((e: any) => e.seq)).toEqual(logged.rows.map((r) => Number(r.seq)));
    expect((await api.sync('bob', all.cursor)).events).toEqual([]);
  });
});
