/** The typed ban methods against the real server: ban, list, unban; a banned user's client loses the channel. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ParleyError } from '@parley/client';
import { createChannel, startSdkWorld, type SdkWorld } from './helpers.js';

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
