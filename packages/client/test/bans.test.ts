/** The typed ban methods against the real server: ban, list, unban; a banned user's client loses the channel. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ParleyError, selectMessages } from '@parley/client';
import { createChannel, eventually, startSdkWorld, type SdkWorld } from './helpers.js';

let w: SdkWorld;
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob', 'carol']);
});
afterEach(() => w.closeClients());
afterAll(() => w.close());

describe('client.bans', () => {
  it('bans, lists and lifts; a hard-banned user can no longer read the channel', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: 'modded', members: ['alice', 'bob', 'carol'] });
    const alice = w.client('alice');
    const bob = w.client('bob');
    const ban = await alice.bans.ban(cid, { user_id: 'bob', reason: 'spam', timeout: 600 });
    expect(ban).toMatchObject({ cid, user: { id: 'bob' }, shadow: false, reason: 'spam', banned_by: 'alice' });
    expect(Date.parse(ban.expires_at!)).toBeGreaterThan(Date.now() + 590_000);
    await alice.bans.ban(cid, { user_id: 'carol', shadow: true });
    const { bans, next } = await alice.bans.list(cid, { limit: 1 });
    expect(bans.map((b) => b.user.id)).toEqual(['bob']);
    expect((await alice.bans.list(cid, { next: next! })).bans.map((b) => [b.user.id, b.shadow])).toEqual([['carol', true]]);
    const refused = await bob.channels.get(cid).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ParleyError);
    expect((refused as ParleyError).code).toBe('NOT_FOUND');
    expect((await alice.bans.unban(cid, 'bob')).user.id).toBe('bob');
    expect((await alice.bans.list(cid)).bans.map((b) => b.user.id)).toEqual(['carol']);
  });
});

describe('a shadow-banned member in a watched channel', () => {
  it("others' clients step over the hidden message (event.hidden) without re-reading anything", async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: 'shadowed', members: ['alice', 'bob', 'carol'] });
    const requests: string[] = [];
    const counting: typeof fetch = (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${String(input)}`);
      return fetch(input, init);
    };
    const alice = w.client('alice', { fetch: counting });
    await alice.connect();
    await alice.whenSynced();
    await alice.bans.ban(cid, { user_id: 'carol', shadow: true });
    const before = requests.length;
    const post = async (user: string, text: string) => {
      const res = await w.t.request('POST', `/v1/channels/${cid.replace(':', '/')}/messages`, { token: w.tokens[user], body: { text } });
      expect(res.status).toBe(201);
    };
    await post('carol', 'hidden from alice');
    await post('bob', 'seen by alice');
    await eventually(() => expect(selectMessages(alice.store.getSnapshot(), cid).map((m) => m.text)).toContain('seen by alice'));
    expect(selectMessages(alice.store.getSnapshot(), cid).map((m) => m.text)).not.toContain('hidden from alice');
    // No backfill of the hole: the hidden event arrived as a position (GET …/messages would be a re-read).
    expect(requests.slice(before).filter((r) => r.includes('/messages'))).toEqual([]);
  });
});
