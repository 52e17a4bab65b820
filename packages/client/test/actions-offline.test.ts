/**
 * Reactions, edits and deletes through the action queue, against the real server: made while the
 * server is unreachable they show at once and are applied exactly once when it returns (also after
 * an app restart over the same storage, and when an answer is lost); a refusal reverts them; a
 * transient server error does not.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage, ParleyError, selectMessages, type ParleyClient } from '@parley/client';
import { putType } from '../../../test/conversations/helpers.js';
import { createChannel, eventually, sleep, startSdkWorld, type SdkWorld } from './helpers.js';
import { startProxy, type Proxy } from './proxy.js';

let w: SdkWorld;
let proxy: Proxy;
let n = 0;
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob']);
  proxy = await startProxy(w.port);
  await putType(w.t, w.app, 'noreact', { reactions: false });
  await putType(w.t, w.app, 'shortedit', { edit_window_seconds: 1 });
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

const get = async (path: string) => (await w.t.request('GET', path, { token: w.tokens.alice })).body;
const post = async (cid: string, user: string, text: string) => (await w.t.request('POST', `/v1/channels/${cid.replace(':', '/')}/messages`, { token: w.tokens[user], body: { text } })).body.message;

/** Alice online through the proxy with three messages of her own (and the channel loaded). */
async function setup(options: { type?: string; storage?: MemoryStorage } = {}) {
  const cid = await createChannel(w, 'alice', { type: options.type ?? 'messaging', id: `act-${++n}`, members: ['alice', 'bob'] });
  const [one, two, three] = [await post(cid, 'alice', 'one'), await post(cid, 'alice', 'two'), await post(cid, 'bob', 'three')];
  const alice = w.client('alice', { url: proxy.url, storage: options.storage });
  await alice.connect();
  await alice.whenSynced();
  await eventually(() => expect(selectMessages(alice.store.getSnapshot(), cid)).toHaveLength(3));
  return { cid, alice, one, two, three };
}

const shown = (client: ParleyClient, cid: string) => selectMessages(client.store.getSnapshot(), cid).map((m) => ({ text: m.text, type: m.type, likes: m.reaction_counts.like ?? 0, syncing: m.syncing }));

/** The server's view: each message's text, type, reactions (by user) and edit versions. */
async function onServer(ids: string[]) {
  return Promise.all(
    ids.map(async (id) => {
      const message = (await get(`/v1/messages/${id}`)).message;
      const reactions = (await get(`/v1/messages/${id}/reactions`)).reactions.map((r: any) => `${r.user_id}:${r.type}`);
      const versions = (await get(`/v1/messages/${id}/history`)).history.length;
      return { text: message.text, type: message.type, reactions, versions };
    }),
  );
}

describe('reactions, edits and deletes while the server is unreachable', () => {
  it('show at once, then are applied exactly once when the server returns', async () => {
    const { cid, alice, one, two, three } = await setup();
    await proxy.down();
    await eventually(() => expect(alice.connection).toBe('offline'));
    const settled = [alice.react(three.id, 'like'), alice.editMessage(one.id, { text: 'one, edited' }), alice.deleteMessage(two.id)];
    alice.editMessage(one.id, { text: 'one, edited twice' }); // collapses with the first edit
    await sleep(300); // several failed attempts
    expect(shown(alice, cid)).toEqual([
      { text: 'one, edited twice', type: 'regular', likes: 0, syncing: true },
      { text: '', type: 'deleted', likes: 0, syncing: true },
      { text: 'three', type: 'regular', likes: 1, syncing: true },
    ]);
    expect((await onServer([one.id, two.id, three.id])).map((m) => m.text)).toEqual(['one', 'two', 'three']);

    await proxy.up();
    const [reacted, edited, deleted] = await Promise.all(settled);
    expect(reacted!.reaction_counts).toEqual({ like: 1 });
    expect(edited!.text).toBe('one, edited twice');
    expect(deleted?.type).toBe('deleted');
    expect(await onServer([one.id, two.id, three.id])).toEqual([
      { text: 'one, edited twice', type: 'regular', reactions: [], versions: 1 },
      { text: '', type: 'deleted', reactions: [], versions: 0 },
      { text: 'three', type: 'regular', reactions: ['alice:like'], versions: 0 },
    ]);
    await eventually(() => expect(shown(alice, cid)).toEqual([
      { text: 'one, edited twice', type: 'regular', likes: 0, syncing: false },
      { text: '', type: 'deleted', likes: 0, syncing: false },
      { text: 'three', type: 'regular', likes: 1, syncing: false },
    ]));
    expect(alice.store.getSnapshot().pendingActions).toEqual([]);
  });

  it('an edit whose answer is lost is not written twice; a delete whose answer is lost is still a success', async () => {
    const { alice, one, two } = await setup();
    proxy.dropResponses = true;
    const edit = alice.editMessage(one.id, { text: 'edited once' });
    await eventually(async () => expect((await onServer([one.id]))[0]!.text).toBe('edited once'));
    await sleep(200); // retries whose answers are lost too
    proxy.dropResponses = false;
    expect((await edit).text).toBe('edited once');
    expect((await onServer([one.id]))[0]!.versions).toBe(1);

    proxy.dropResponses = true;
    const del = alice.deleteMessage(two.id);
    await eventually(async () => expect((await onServer([two.id]))[0]!.type).toBe('deleted'));
    await sleep(200);
    proxy.dropResponses = false;
    expect(await del).toBeNull(); // already gone when retried: fine
    expect(alice.store.getSnapshot().pendingActions).toEqual([]);
  });

  it('a reaction on a message still in the outbox goes to that message once it is sent', async () => {
    const { cid, alice } = await setup();
    await proxy.down();
    const handle = alice.send(cid, { text: 'queued' });
    const reacted = alice.react(handle.clientMsgId, 'like');
    expect(shown(alice, cid).at(-1)).toEqual({ text: 'queued', type: 'regular', likes: 1, syncing: true });
    await proxy.up();
    const result = await handle.settled;
    expect(result.status).toBe('sent');
    expect((await reacted).id).toBe(result.status === 'sent' && result.message.id);
    expect((await onServer([(await reacted).id]))[0]!.reactions).toEqual(['alice:like']);
  });
});

describe('restart over the same storage', () => {
  it('a new instance applies the queued changes of the previous one exactly once', async () => {
    const storage = new MemoryStorage();
    const { cid, alice, one, two, three } = await setup({ storage });
    await proxy.down();
    void alice.react(three.id, 'like');
    void alice.react(one.id, 'party');
    void alice.unreact(one.id, 'party'); // cancels the queued add: nothing to send for 'party'
    void alice.editMessage(one.id, { text: 'edited offline' });
    void alice.deleteMessage(two.id);
    await sleep(200);
    await alice.close();

    const second = w.client('alice', { url: proxy.url, storage });
    await second.connect();
    expect(second.store.getSnapshot().pendingActions.map((a) => a.kind)).toEqual(['reaction', 'reaction', 'edit', 'delete']);
    expect(shown(second, cid).map((m) => [m.text, m.type, m.likes])).toEqual([
      ['edited offline', 'regular', 0],
      ['', 'deleted', 0],
      ['three', 'regular', 1],
    ]);
    await proxy.up();
    await eventually(() => expect(second.store.getSnapshot().pendingActions).toEqual([]));
    expect(await onServer([one.id, two.id, three.id])).toEqual([
      { text: 'edited offline', type: 'regular', reactions: [], versions: 1 },
      { text: '', type: 'deleted', reactions: [], versions: 0 },
      { text: 'three', type: 'regular', reactions: ['alice:like'], versions: 0 },
    ]);
  });
});

describe('refusals and transient errors', () => {
  it('a forbidden reaction made offline is shown, then reverted when the server refuses it', async () => {
    const { cid, alice, three } = await setup({ type: 'noreact' });
    const failures: string[] = [];
    alice.on('action-failed', ({ action, error }) => failures.push(`${action.kind}:${error.code}`));
    await proxy.down();
    const attempt = alice.react(three.id, 'like');
    expect(shown(alice, cid)[2]!.likes).toBe(1);
    await proxy.up();
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParleyError);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED', status: 403 });
    expect(shown(alice, cid)[2]).toEqual({ text: 'three', type: 'regular', likes: 0, syncing: false });
    expect(failures).toEqual(['reaction:PERMISSION_DENIED']);
  });

  it('an edit past the edit window is reverted to the server’s text', async () => {
    const { cid, alice, one } = await setup({ type: 'shortedit' });
    await sleep(1_100);
    const attempt = alice.editMessage(one.id, { text: 'too late' });
    expect(shown(alice, cid)[0]!.text).toBe('too late');
    await expect(attempt).rejects.toMatchObject({ code: 'EDIT_WINDOW_EXPIRED' });
    expect(shown(alice, cid)[0]).toEqual({ text: 'one', type: 'regular', likes: 0, syncing: false });
  });

  it('a 503 is retried (not reverted) and the change lands once', async () => {
    let refuse = 2;
    const cid = await createChannel(w, 'alice', { type: 'messaging', id: `act-${++n}`, members: ['alice', 'bob'] });
    const message = await post(cid, 'bob', 'hello');
    const alice = w.client('alice', {
      fetch: async (input, init) => {
        if (init?.method === 'POST' && String(input).endsWith('/reactions') && refuse-- > 0) {
          return new Response(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'try later' } }), { status: 503, headers: { 'content-type': 'application/json' } });
        }
        return fetch(input, init);
      },
    });
    await alice.connect();
    await alice.whenSynced();
    const reacted = await alice.react(message.id, 'like');
    expect(refuse).toBeLessThan(0);
    expect(reacted.reaction_counts).toEqual({ like: 1 });
    expect((await onServer([message.id]))[0]!.reactions).toEqual(['alice:like']);
  });
});
