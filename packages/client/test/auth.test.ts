/**
 * Tokens: an expiry mid-session is refreshed (REST: one refresh and retry on 401; realtime:
 * centrifuge's getToken) without losing messages; a permanent refusal surfaces once as
 * `auth-failed` and never loops.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ParleyError, selectMessages } from '@parley/client';
import { mintToken } from '@parley/server';
import { createChannel, eventually, serverMessages, sleep, startSdkWorld, type SdkWorld } from './helpers.js';

let w: SdkWorld;
let n = 0;
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob', 'mallory']);
});
afterEach(() => w.closeClients());
afterAll(() => w.close());

describe('token expiry', () => {
  for (const realtime of [true, false]) {
    it(`refreshes a token that expires mid-session without losing messages (realtime ${realtime ? 'on' : 'off'})`, async () => {
      const cid = await createChannel(w, 'alice', { type: 'messaging', id: `auth-${++n}`, members: ['alice', 'bob'] });
      let minted = 0;
      const alice = w.client('alice', {
        realtime,
        pollIntervalMs: 200,
        tokenProvider: async () => {
          minted++;
          // The server accepts 60 s of clock skew: REST sees this token expire ~2 s from now.
          // (Realtime refreshes on the connect reply's ttl, so a plain 2 s token does there.)
          const expiresIn = realtime ? 2 : -58;
          return (await mintToken({ keyId: w.app.keyId, secret: w.app.secret, userId: 'alice', expiresIn })).token;
        },
      });
      const failures: unknown[] = [];
      alice.on('auth-failed', (e) => failures.push(e));
      await alice.connect();
      await alice.whenSynced();
      const texts: string[] = [];
      for (let i = 0; i < 6; i++) {
        texts.push(`m${i}`);
        expect((await alice.send(cid, { text: `m${i}` }).settled).status).toBe('sent');
        // bob writes too: alice must receive it across the expiry
        await w.t.request('POST', `/v1/channels/${cid.replace(':', '/')}/messages`, { token: w.tokens.bob, body: { text: `b${i}` } });
        texts.push(`b${i}`);
        await sleep(700);
      }
      expect(minted).toBeGreaterThan(1);
      expect(failures).toEqual([]);
      expect((await serverMessages(w, 'alice', cid)).map((m) => m.text)).toEqual(texts);
      await eventually(() => expect(selectMessages(alice.store.getSnapshot(), cid).map((m) => m.text)).toEqual(texts));
      expect(alice.connection).toBe('connected');
    });
  }
});

describe('permanent auth failure', () => {
  it('a token the server refuses even when fresh → one auth-failed, a bounded number of provider calls, no loop', async () => {
    let calls = 0;
    const client = w.client('mallory', {
      tokenProvider: () => {
        calls++;
        return 'not-a-jwt';
      },
    });
    const failures: ParleyError[] = [];
    client.on('auth-failed', (e) => failures.push(e));
    await client.connect();
    await eventually(() => expect(client.connection).toBe('auth-failed'));
    await sleep(1_000);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(ParleyError);
    expect(failures[0]!.code).toBe('UNAUTHORIZED');
    expect(calls).toBeLessThanOrEqual(4);
    const queued = client.send('messaging:x', { text: 'never' });
    await sleep(200);
    expect(client.store.getSnapshot().outbox.map((i) => i.status)).toEqual(['sending']);
    await expect(client.me.get()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(calls).toBeLessThanOrEqual(4);
    queued.cancel();
  });

  it('a deactivated user is told once (realtime closes with 3503, REST answers 401)', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `auth-${++n}`, members: ['alice', 'mallory'] });
    let calls = 0;
    const mallory = w.client('mallory', {
      tokenProvider: () => {
        calls++;
        return w.tokens.mallory!;
      },
    });
    const failures: unknown[] = [];
    mallory.on('auth-failed', (e) => failures.push(e));
    await mallory.connect();
    await mallory.whenSynced();
    await eventually(() => expect(mallory.connection).toBe('connected'));
    expect(mallory.store.getSnapshot().channelList).toContain(cid);
    const res = await w.t.request('POST', '/v1/users/mallory/deactivate', { token: w.app.serverToken });
    expect(res.status).toBe(200);
    await eventually(() => expect(mallory.connection).toBe('auth-failed'));
    await sleep(800);
    expect(failures).toHaveLength(1);
    expect(calls).toBeLessThanOrEqual(4);
    await w.t.request('POST', '/v1/users/mallory/reactivate', { token: w.app.serverToken });
  });

  it('a provider that signs the user out (returns null) is a permanent failure; reconnect() starts again', async () => {
    let signedIn = false;
    const bob = w.client('bob', { tokenProvider: () => (signedIn ? w.tokens.bob! : null) });
    const failures: unknown[] = [];
    bob.on('auth-failed', (e) => failures.push(e));
    await bob.connect();
    await eventually(() => expect(bob.connection).toBe('auth-failed'));
    expect(failures).toHaveLength(1);
    signedIn = true;
    bob.reconnect();
    await eventually(() => expect(bob.connection).toBe('connected'));
    await bob.whenSynced();
  });
});
