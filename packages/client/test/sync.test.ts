/**
 * Sync without realtime and its edge cases, against the real server: catch-up by /v1/sync from
 * the stored cursor (with has_more paging), RESYNC_REQUIRED reloads, a seq gap is backfilled
 * with GET messages?after_seq, being added shows the channel.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage, selectChannelList, selectMessages, Store, SyncEngine, initialSnapshot, upsertChannelState, ParleyClient } from '@parley/client';
import { createChannel, startSdkWorld, type SdkWorld } from './helpers.js';

let w: SdkWorld;
let n = 0;
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob']);
});
afterEach(() => w.closeClients());
afterAll(() => w.close());

const post = (user: string, cid: string, text: string) => w.t.request('POST', `/v1/channels/${cid.replace(':', '/')}/messages`, { token: w.tokens[user], body: { text } });

describe('sync without realtime', () => {
  it('catches up from the stored cursor after a restart: messages, a new channel, unread counts', async () => {
    const storage = new MemoryStorage();
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `sync-${++n}`, members: ['alice', 'bob'] });
    const first = w.client('bob', { realtime: false, pollIntervalMs: 0, storage });
    await first.connect();
    await first.whenSynced();
    expect(first.store.getSnapshot().channelList).toContain(cid);
    await first.close();

    for (let i = 0; i < 5; i++) expect((await post('alice', cid, `while away ${i}`)).status).toBe(201);
    const added = await createChannel(w, 'alice', { type: 'messaging', id: `sync-new-${++n}`, members: ['alice', 'bob'] });
    await post('alice', added, 'in the new one');

    const syncs: string[] = [];
    const second = w.client('bob', {
      realtime: false,
      pollIntervalMs: 0,
      storage,
      fetch: async (input, init) => {
        if (String(input).endsWith('/v1/sync')) syncs.push(String(init?.body));
        return fetch(input, init);
      },
    });
    await second.connect();
    expect(second.store.getSnapshot().syncCursor).toBeTruthy();
    await second.whenSynced();
    const snapshot = second.store.getSnapshot();
    expect(selectMessages(snapshot, cid).map((m) => m.text)).toEqual([0, 1, 2, 3, 4].map((i) => `while away ${i}`));
    expect(snapshot.channels[cid]!.unread_count).toBe(5);
    expect(selectChannelList(snapshot).map((c) => c.channel.cid)).toContain(added);
    expect(selectMessages(snapshot, added).map((m) => m.text)).toEqual(['in the new one']);
    // One sync from the stored cursor, no reload (no query).
    expect(syncs.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(syncs[0]!).since).toBeTruthy();
  });

  it('RESYNC_REQUIRED reloads the channel list and goes on from the new cursor', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `resync-${++n}`, members: ['alice', 'bob'] });
    let refuse = false;
    const bob = w.client('bob', {
      realtime: false,
      pollIntervalMs: 0,
      fetch: async (input, init) => {
        if (refuse && String(input).endsWith('/v1/sync') && JSON.parse(String(init?.body ?? '{}')).since) {
          refuse = false;
          return new Response(JSON.stringify({ error: { code: 'RESYNC_REQUIRED', message: 'too old' } }), { status: 409, headers: { 'content-type': 'application/json' } });
        }
        return fetch(input, init);
      },
    });
    await bob.connect();
    await bob.whenSynced();
    await post('alice', cid, 'after');
    refuse = true;
    await bob.sync();
    expect(refuse).toBe(false);
    expect(selectMessages(bob.store.getSnapshot(), cid).map((m) => m.text)).toEqual(['after']);
    expect(bob.store.getSnapshot().channels[cid]!.unread_count).toBe(1);
  });

  it('pages through has_more', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `paging-${++n}`, members: ['alice', 'bob'] });
    const pages: boolean[] = [];
    const bob = w.client('bob', {
      realtime: false,
      pollIntervalMs: 0,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (String(input).endsWith('/v1/sync')) pages.push(((await response.clone().json()) as { has_more: boolean }).has_more);
        return response;
      },
    });
    await bob.connect();
    await bob.whenSynced();
    pages.length = 0;
    // 260 messages and 260 reactions: more than one page of 500 events.
    for (let i = 0; i < 260; i++) {
      const res = await post('alice', cid, `m${i}`);
      await w.t.request('POST', `/v1/messages/${res.body.message.id}/reactions`, { token: w.tokens.alice, body: { type: 'like' } });
    }
    await bob.sync();
    const snapshot = bob.store.getSnapshot();
    expect(pages).toEqual([true, false]);
    expect(snapshot.channels[cid]!.unread_count).toBe(260);
    const texts = selectMessages(snapshot, cid).map((m) => m.text);
    expect(texts.slice(-3)).toEqual(['m257', 'm258', 'm259']);
  });
});

describe('gap backfill', () => {
  it('an event beyond an exact position makes the engine read the missed messages first', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `gap-${++n}`, members: ['alice', 'bob'] });
    const first = (await post('alice', cid, 'one')).body.message;
    const listed: string[] = [];
    const api = new ParleyClient({
      url: w.url,
      tokenProvider: () => w.tokens.bob!,
      userId: 'bob',
      realtime: false,
      fetch: async (input, init) => {
        if (String(input).includes('after_seq')) listed.push(String(input));
        return fetch(input, init);
      },
    });
    const store = new Store(initialSnapshot('bob'));
    const initial = await api.channels.get(cid);
    store.update((s) => upsertChannelState(s, initial));
    store.update((s) => ({ ...s, positions: { ...s.positions, [cid]: { seq: first.seq, exact: true } } }));
    const missed = [];
    for (const text of ['two', 'three']) missed.push((await post('alice', cid, text)).body.message);
    const last = (await post('alice', cid, 'four')).body.message;
    const errors: unknown[] = [];
    const engine = new SyncEngine({ store, channels: api.channels, messages: api.messages, sync: api.syncApi, now: Date.now, query: {}, isWatched: () => true, onError: (e) => errors.push(e) });
    await engine.push({ type: 'message.new', cid, seq: last.seq, message: last });
    expect(errors).toEqual([]);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toContain(`after_seq=${first.seq}`);
    const snapshot = store.getSnapshot();
    expect(selectMessages(snapshot, cid).map((m) => m.text)).toEqual(['one', 'two', 'three', 'four']);
    expect(snapshot.positions[cid]).toEqual({ seq: last.seq, exact: true });
    expect(snapshot.channels[cid]!.unread_count).toBe(4);
    // The same event again is a duplicate: skipped.
    await engine.push({ type: 'message.new', cid, seq: last.seq, message: last });
    expect(store.getSnapshot()).toBe(snapshot);
    await api.close();
  });
});
