/**
 * Paging the channel list against the real server: more channels than one page (30) are all
 * reached with `loadMoreChannels`, the list stays sorted by activity with each channel once, even
 * when a channel of a later page gets a message while paging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityOf, selectChannelList, selectHasMoreChannels } from '@parley/client';
import { createChannel, eventually, startSdkWorld, type SdkWorld } from './helpers.js';

let w: SdkWorld;
const cids: string[] = [];
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob']);
  for (let i = 0; i < 67; i++) cids.push(await createChannel(w, 'bob', { type: 'team', id: `page-${String(i).padStart(2, '0')}`, members: ['alice', 'bob'] }));
  // Some activity, so that the order is not just the creation order.
  for (const i of [5, 40, 12, 66, 0]) await w.t.request('POST', `/v1/channels/${cids[i]!.replace(':', '/')}/messages`, { token: w.tokens.bob, body: { text: `in ${i}` } });
});
afterAll(() => w.close());

function expectSortedAndUnique(list: ReturnType<typeof selectChannelList>) {
  const ids = list.map((c) => c.channel.cid);
  expect(new Set(ids).size).toBe(ids.length);
  const times = list.map(activityOf);
  expect([...times].sort().reverse()).toEqual(times);
}

describe('channel list paging', () => {
  it('loads every channel page by page, sorted, each once', async () => {
    const alice = w.client('alice', { realtime: false, pollIntervalMs: 0 });
    await alice.connect();
    await alice.whenSynced();
    let list = selectChannelList(alice.store.getSnapshot());
    expect(list).toHaveLength(30);
    expect(list.slice(0, 5).map((c) => c.channel.cid)).toEqual([0, 66, 12, 40, 5].map((i) => cids[i]));
    expect(selectHasMoreChannels(alice.store.getSnapshot())).toBe(true);

    expect(await alice.loadMoreChannels()).toBe(true);
    list = selectChannelList(alice.store.getSnapshot());
    expect(list).toHaveLength(60);
    expectSortedAndUnique(list);

    // A channel not loaded yet gets a message: it moves to the top of the server's order (before
    // the cursor). The sync brings it in; the last page does not bring it twice.
    const missing = cids.find((cid) => !list.some((c) => c.channel.cid === cid))!;
    await w.t.request('POST', `/v1/channels/${missing.replace(':', '/')}/messages`, { token: w.tokens.bob, body: { text: 'bump' } });
    await alice.sync();
    await eventually(() => expect(selectChannelList(alice.store.getSnapshot())[0]!.channel.cid).toBe(missing));

    expect(await alice.loadMoreChannels()).toBe(false);
    expect(await alice.loadMoreChannels()).toBe(false);
    list = selectChannelList(alice.store.getSnapshot());
    expectSortedAndUnique(list);
    expect(list.map((c) => c.channel.cid).sort()).toEqual([...cids].sort());
    expect(selectHasMoreChannels(alice.store.getSnapshot())).toBe(false);
  });

  it('a smaller page size pages through the same list; a reload keeps as many channels as were shown', async () => {
    let failSync = false;
    const alice = w.client('alice', {
      realtime: false,
      pollIntervalMs: 0,
      channelQuery: { limit: 20 },
      fetch: async (input, init) => {
        if (failSync && String(input).endsWith('/v1/sync') && JSON.parse(String(init?.body ?? '{}')).since) {
          failSync = false;
          return new Response(JSON.stringify({ error: { code: 'RESYNC_REQUIRED', message: 'too old' } }), { status: 409, headers: { 'content-type': 'application/json' } });
        }
        return fetch(input, init);
      },
    });
    await alice.connect();
    await alice.whenSynced();
    // 67 channels by 20: three more pages.
    expect([await alice.loadMoreChannels(), await alice.loadMoreChannels(), await alice.loadMoreChannels()]).toEqual([true, true, false]);
    expect(selectChannelList(alice.store.getSnapshot())).toHaveLength(67);
    failSync = true;
    await alice.sync();
    expect(failSync).toBe(false);
    const list = selectChannelList(alice.store.getSnapshot());
    expect(list).toHaveLength(67);
    expectSortedAndUnique(list);
  });
});
