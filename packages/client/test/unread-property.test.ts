/**
 * After a random session of actions by three users (sends, thread replies, deletes, mark-read,
 * removal and re-adding of the observed user), every unread count in the observed client's
 * store equals the server's (`GET /v1/me/unread`). Realtime on; property-based (fast-check).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectUnread } from '@parley/client';
import { createChannel, eventually, startSdkWorld, type SdkWorld } from './helpers.js';

let w: SdkWorld;
let run = 0;
beforeAll(async () => {
  w = await startSdkWorld(['alice', 'bob', 'carol']);
});
afterAll(() => w.close());

type Action =
  | { kind: 'send'; user: 'alice' | 'bob' | 'carol'; channel: number; mention: boolean }
  | { kind: 'reply'; user: 'bob' | 'carol'; channel: number }
  | { kind: 'delete'; user: 'bob' | 'carol'; channel: number }
  | { kind: 'read'; user: 'alice' | 'bob'; channel: number }
  | { kind: 'kick-and-readd'; channel: number };

const user = fc.constantFrom('alice' as const, 'bob' as const, 'carol' as const);
const other = fc.constantFrom('bob' as const, 'carol' as const);
const channel = fc.integer({ min: 0, max: 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('send' as const), user, channel, mention: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reply' as const), user: other, channel }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), user: other, channel }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), user: fc.constantFrom('alice' as const, 'bob' as const), channel }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('kick-and-readd' as const), channel }) },
);

describe('unread counts', () => {
  it('the store agrees with the server after any session', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 18 }), async (actions) => {
        run++;
        const cids = [
          await createChannel(w, 'bob', { type: 'messaging', id: `prop-${run}-a`, members: ['alice', 'bob', 'carol'] }),
          await createChannel(w, 'carol', { type: 'team', id: `prop-${run}-b`, members: ['alice', 'bob', 'carol'] }),
        ];
        const alice = w.client('alice');
        await alice.connect();
        await alice.whenSynced();
        const lastOf: Record<string, string[]> = {};
        const path = (cid: string) => `/v1/channels/${cid.replace(':', '/')}`;
        try {
          for (const a of actions) {
            const cid = cids[a.channel]!;
            if (a.kind === 'send' && a.user === 'alice') {
              await alice.send(cid, { text: 'from alice' }).settled;
            } else if (a.kind === 'send') {
              const res = await w.t.request('POST', `${path(cid)}/messages`, { token: w.tokens[a.user], body: { text: a.mention ? 'hi @alice' : 'hi' } });
              if (res.status === 201) (lastOf[`${a.user}/${cid}`] ??= []).push(res.body.message.id);
            } else if (a.kind === 'reply') {
              const parent = lastOf[`${a.user}/${cid}`]?.at(-1);
              if (parent) await w.t.request('POST', `${path(cid)}/messages`, { token: w.tokens[a.user], body: { text: 'in thread', parent_id: parent } });
            } else if (a.kind === 'delete') {
              const id = lastOf[`${a.user}/${cid}`]?.pop();
              if (id) await w.t.request('DELETE', `/v1/messages/${id}`, { token: w.tokens[a.user] });
            } else if (a.kind === 'read' && a.user === 'alice') {
              if (alice.store.getSnapshot().channels[cid]) await alice.markRead(cid);
            } else if (a.kind === 'read') {
              await w.t.request('POST', `${path(cid)}/read`, { token: w.tokens[a.user], body: {} });
            } else if (a.kind === 'kick-and-readd') {
              const owner = a.channel === 0 ? 'bob' : 'carol';
              await w.t.request('DELETE', `${path(cid)}/members`, { token: w.tokens[owner], body: { user_ids: ['alice'] } });
              await w.t.request('POST', `${path(cid)}/messages`, { token: w.tokens[owner], body: { text: 'while alice is out' } });
              await w.t.request('POST', `${path(cid)}/members`, { token: w.tokens[owner], body: { user_ids: ['alice'] } });
            }
          }
          if (process.env.PARLEY_DEBUG_PROPERTY) console.log(actions.map((a) => a.kind).join(','), JSON.stringify(Object.fromEntries(cids.map((cid) => [cid, alice.store.getSnapshot().channels[cid]?.unread_count]))));
          await eventually(async () => {
            const server = (await w.t.request('GET', '/v1/me/unread', { token: w.tokens.alice })).body;
            const snapshot = alice.store.getSnapshot();
            for (const cid of cids) {
              const expected = server.channels.find((c: { cid: string }) => c.cid === cid);
              expect(snapshot.channels[cid], `${cid} in the store`).toBeDefined();
              expect({ cid, unread: snapshot.channels[cid]!.unread_count, mentions: snapshot.channels[cid]!.unread_mentions }).toEqual({ cid, unread: expected?.unread_count ?? 0, mentions: expected?.unread_mentions ?? 0 });
            }
            const mine = selectUnread(snapshot);
            const others = server.channels.filter((c: { cid: string }) => !cids.includes(c.cid)).reduce((sum: number, c: { unread_count: number }) => sum + c.unread_count, 0);
            expect(mine.total).toBe(server.total_unread_count);
            expect(others).toBeGreaterThanOrEqual(0);
          }, 10_000);
        } finally {
          await alice.close();
          // Leave no unread behind for the next run's totals.
          await w.t.request('POST', '/v1/channels/read', { token: w.tokens.alice });
        }
      }),
      { numRuns: 5, endOnFailure: true },
    );
  }, 120_000);
});
