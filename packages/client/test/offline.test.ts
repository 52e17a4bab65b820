/**
 * Offline-first against the real server: sends while the server is unreachable are queued and
 * delivered exactly once when it is back; a restart over the same storage finishes the outbox
 * with no loss and no duplicate; a lost answer is retried without a duplicate; a cold start shows
 * the stored channels and messages before the network answers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage, selectChannelList, selectMessages } from '@parley/client';
import { FileStorage } from '@parley/client/node';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createChannel, eventually, serverMessages, sleep, startSdkWorld, type SdkWorld } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

let w: SdkWorld;
let proxy: Proxy;
let n = 0;
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob']);
  proxy = await startProxy(w.port);
});
afterEach(async () => {
  await w.closeClients();
  proxy.dropResponses = false;
  await proxy.down();
  await proxy.up();
});
afterAll(async () => {
  await proxy.close();
  await w.close();
});

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('outbox while the server is unreachable', () => {
  it('queues sends, shows them as sending, and delivers each exactly once when the server returns', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `off-${++n}`, members: ['alice', 'bob'] });
    const alice = w.client('alice', { url: proxy.url });
    await alice.connect();
    await alice.whenSynced();
    await eventually(() => expect(alice.connection).toBe('connected'));

    await proxy.down();
    await eventually(() => expect(alice.connection).toBe('offline'));
    const handles = ['one', 'two', 'three'].map((text) => alice.send(cid, { text }));
    await sleep(400); // several failed attempts
    const pending = selectMessages(alice.store.getSnapshot(), cid);
    expect(pending.map((m) => [m.text, m.status, m.pending])).toEqual([
      ['one', 'sending', true],
      ['two', 'sending', true],
      ['three', 'sending', true],
    ]);
    expect(await serverMessages(w, 'alice', cid)).toEqual([]);

    await proxy.up();
    const results = await Promise.all(handles.map((h) => h.settled));
    expect(results.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    await eventually(() => expect(alice.connection).toBe('connected'));
    const onServer = await serverMessages(w, 'alice', cid);
    expect(onServer.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(Object.values(countBy(onServer, (m) => m.client_msg_id))).toEqual([1, 1, 1]);
    await eventually(() => {
      const shown = selectMessages(alice.store.getSnapshot(), cid);
      expect(shown.map((m) => [m.text, m.pending])).toEqual([
        ['one', false],
        ['two', false],
        ['three', false],
      ]);
      expect(shown.every((m) => m.status === 'sent' || m.status === 'delivered' || m.status === 'read')).toBe(true);
    });
    expect(alice.store.getSnapshot().outbox).toEqual([]);
  });

  it('a send whose answer is lost is retried and stored once (idempotent by client_msg_id)', async () => {
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `off-${++n}`, members: ['alice', 'bob'] });
    const alice = w.client('alice', { url: proxy.url, realtime: false, pollIntervalMs: 0 });
    await alice.connect();
    await alice.whenSynced();
    proxy.dropResponses = true;
    const handle = alice.send(cid, { text: 'answer lost' });
    await eventually(async () => expect((await serverMessages(w, 'alice', cid)).length).toBe(1));
    await sleep(200);
    proxy.dropResponses = false;
    const result = await handle.settled;
    expect(result.status).toBe('sent');
    const onServer = await serverMessages(w, 'alice', cid);
    expect(onServer.map((m) => m.text)).toEqual(['answer lost']);
    expect(result.status === 'sent' && result.message.id).toBe(onServer[0].id);
  });
});

describe('restart over the same storage', () => {
  for (const kind of ['memory', 'file'] as const) {
    it(`(${kind}) finishes the outbox of the previous instance with no loss and no duplicate, and renders from storage first`, async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-sdk-'));
      const storage = kind === 'memory' ? new MemoryStorage() : new FileStorage(dir);
      const cid = await createChannel(w, 'alice', { type: 'messaging', id: `restart-${kind}-${++n}`, members: ['alice', 'bob'] });
      await w.t.request('POST', `/v1/channels/${cid.replace(':', '/')}/messages`, { token: w.tokens.bob, body: { text: 'before' } });

      // First run: online, then the server goes away; three sends queue; one of them reached the
      // server but its answer was lost. The app is closed.
      const first = w.client('alice', { url: proxy.url, storage });
      await first.connect();
      await first.whenSynced();
      await eventually(() => expect(selectMessages(first.store.getSnapshot(), cid).map((m) => m.text)).toEqual(['before']));
      proxy.dropResponses = true;
      const reached = first.send(cid, { text: 'reached, answer lost' });
      await eventually(async () => expect((await serverMessages(w, 'alice', cid)).length).toBe(2));
      await proxy.down();
      proxy.dropResponses = false;
      first.send(cid, { text: 'queued 1' });
      first.send(cid, { text: 'queued 2' });
      await sleep(200);
      expect(first.store.getSnapshot().outbox.map((i) => i.body.text)).toEqual(['reached, answer lost', 'queued 1', 'queued 2']);
      await first.close();
      // The handle of an item still queued at close settles as `closed` (the item stays stored).
      expect((await reached.settled).status).toBe('closed');

      // Second run, still offline: the stored state renders at once.
      const second = w.client('alice', { url: proxy.url, storage });
      await second.connect();
      const cold = second.store.getSnapshot();
      expect(cold.hydrated).toBe(true);
      expect(selectChannelList(cold).map((c) => c.channel.cid)).toContain(cid);
      expect(selectMessages(cold, cid).map((m) => [m.text, m.pending])).toEqual([
        ['before', false],
        ['reached, answer lost', true],
        ['queued 1', true],
        ['queued 2', true],
      ]);

      // The network comes back: everything is delivered once, in order.
      await proxy.up();
      await eventually(() => expect(second.store.getSnapshot().outbox).toEqual([]));
      const onServer = await serverMessages(w, 'alice', cid);
      expect(onServer.map((m) => m.text)).toEqual(['before', 'reached, answer lost', 'queued 1', 'queued 2']);
      await eventually(() => expect(selectMessages(second.store.getSnapshot(), cid).map((m) => [m.text, m.pending])).toEqual(onServer.map((m) => [m.text, false])));
      await fs.rm(dir, { recursive: true, force: true });
    });
  }
});
