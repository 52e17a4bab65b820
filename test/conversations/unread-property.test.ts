/**
 * Property: after any interleaving of sends (plain, mentions, thread-only and shown replies),
 * deletes, mark-reads and member adds/removes across 4 users and 2 channels, every user's
 * unread_count and unread_mentions per channel (GET channel state, /v1/me/unread, /v1/me) equal a
 * recount from a model of the messages and read pointers kept by the test.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ch, SERVER, startWorld, type Api, type World } from './channel-helpers.js';

let w: World;
let api: Api;
beforeAll(async () => {
  w = await startWorld({});
  api = w.api;
});
afterAll(() => w.t.close());

interface ModelMessage {
  id: string;
  seq: number;
  author: string;
  parent: string | null;
  shown: boolean;
  mentions: string[];
  deleted: boolean;
}
interface ModelChannel {
  cid: string;
  messages: ModelMessage[];
  /** member → read pointer (messages with seq ≤ pointer are read) */
  members: Map<string, number>;
}

type Op =
  | { k: 'send'; c: number; u: number; kind: 'plain' | 'mention' | 'mention-text' | 'thread' | 'shown'; target: number; pick: number }
  | { k: 'delete'; c: number; pick: number }
  | { k: 'read'; c: number; u: number; how: 'seq' | 'latest' | 'message'; pick: number }
  | { k: 'add' | 'remove'; c: number; u: number }
  | { k: 'check' };

const USERS = 4;
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('send' as const), c: fc.nat(1), u: fc.nat(USERS - 1), kind: fc.constantFrom('plain' as const, 'mention' as const, 'mention-text' as const, 'thread' as const, 'shown' as const), target: fc.nat(USERS - 1), pick: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('delete' as const), c: fc.nat(1), pick: fc.nat(1000) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('read' as const), c: fc.nat(1), u: fc.nat(USERS - 1), how: fc.constantFrom('seq' as const, 'latest' as const, 'message' as const), pick: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('add' as const, 'remove' as const), c: fc.nat(1), u: fc.nat(USERS - 1) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'check' as const }) },
);

const maxSeq = (c: ModelChannel) => c.messages.reduce((max, m) => Math.max(max, m.seq), 0);

function expected(c: ModelChannel, user: string): { unread: number; mentions: number } {
  const pointer = c.members.get(user)!;
  const counted = c.messages.filter((m) => m.seq > pointer && !m.deleted && (m.parent === null || m.shown) && m.author !== user);
  return { unread: counted.length, mentions: counted.filter((m) => m.mentions.includes(user)).length };
}

async function checkAll(users: string[], channels: ModelChannel[], where: string) {
  for (const user of users) {
    const totals = { unread: 0, mentions: 0, channels: 0 };
    const listed: Array<[string, number, number]> = [];
    for (const c of channels) {
      if (!c.members.has(user)) {
        expect((await api.req(user, 'GET', ch(c.cid))).status, `${where}: ${user} not in ${c.cid}`).toBe(404);
        continue;
      }
      const want = expected(c, user);
      const state = await api.state(user, c.cid, 'message_limit=0');
      expect([state.unread_count, state.unread_mentions], `${where}: ${user} in ${c.cid}`).toEqual([want.unread, want.mentions]);
      if (want.unread > 0 || want.mentions > 0) listed.push([c.cid, want.unread, want.mentions]);
      totals.unread += want.unread;
      totals.mentions += want.mentions;
      if (want.unread > 0) totals.channels++;
    }
    const unread = await api.unread(user);
    expect(unread.channels.map((x: any) => [x.cid, x.unread_count, x.unread_mentions]), `${where}: /v1/me/unread of ${user}`).toEqual(listed.sort((a, b) => a[0].localeCompare(b[0])));
    expect([unread.total_unread_count, unread.total_unread_mentions, unread.unread_channels], `${where}: totals of ${user}`).toEqual([totals.unread, totals.mentions, totals.channels]);
    const me = await api.ok(user, 'GET', '/v1/me');
    expect([me.total_unread_count, me.unread_channels]).toEqual([totals.unread, totals.channels]);
  }
}

let run = 0;

async function execute(ops: Op[]) {
  const prefix = `r${++run}`;
  const users = Array.from({ length: USERS }, (_, i) => `${prefix}u${i}`);
  const channels: ModelChannel[] = [];
  for (const [j, initial] of [[0, 1, 2], [0, 1, 3]].entries()) {
    const id = `${prefix}c${j}`;
    await api.create(users[0]!, { type: 'team', id, members: initial.map((i) => users[i]!) });
    channels.push({ cid: `team:${id}`, messages: [], members: new Map(initial.map((i) => [users[i]!, 0])) });
  }

  for (const [step, o] of ops.entries()) {
    if (o.k === 'check') {
      await checkAll(users, channels, `step ${step}`);
      continue;
    }
    const c = channels[o.c]!;
    if (o.k === 'send') {
      const user = users[o.u]!;
      const target = users[o.target]!;
      const parents = c.messages.filter((m) => m.parent === null && !m.deleted);
      const parent = (o.kind === 'thread' || o.kind === 'shown') && parents.length > 0 ? parents[o.pick % parents.length]! : null;
      const body: Record<string, unknown> = { text: o.kind === 'mention-text' ? `hey @${target}` : `${o.kind} ${step}` };
      if (o.kind === 'mention') body.mentioned_user_ids = [target];
      if (parent) body.parent_id = parent.id;
      if (parent && o.kind === 'shown') body.show_in_channel = true;
      const res = await api.req(user, 'POST', `${ch(c.cid)}/messages`, body);
      if (!c.members.has(user)) {
        expect(res.status, `step ${step}: non-member send`).toBe(404);
        continue;
      }
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const mentioned = o.kind.startsWith('mention') && c.members.has(target) ? [target] : [];
      expect(res.body.message.mentioned_users.map((u: any) => u.id), `step ${step}: mentions`).toEqual(mentioned);
      c.messages.push({ id: res.body.message.id, seq: res.body.message.seq, author: user, parent: parent?.id ?? null, shown: !!parent && o.kind === 'shown', mentions: mentioned, deleted: false });
      c.members.set(user, Math.max(c.members.get(user)!, res.body.message.seq));
    } else if (o.k === 'delete') {
      const live = c.messages.filter((m) => !m.deleted);
      if (live.length === 0) continue;
      const victim = live[o.pick % live.length]!;
      await api.ok(SERVER, 'DELETE', `/v1/messages/${victim.id}`);
      victim.deleted = true;
    } else if (o.k === 'read') {
      const user = users[o.u]!;
      let body: Record<string, unknown> = {};
      let to = maxSeq(c);
      if (o.how === 'seq') body = { seq: (to = o.pick % (maxSeq(c) + 1)) };
      if (o.how === 'message' && c.messages.length > 0) {
        const m = c.messages[o.pick % c.messages.length]!;
        body = { message_id: m.id };
        to = m.seq;
      }
      const res = await api.req(user, 'POST', `${ch(c.cid)}/read`, body);
      if (!c.members.has(user)) {
        expect(res.status, `step ${step}: non-member read`).toBe(404);
        continue;
      }
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      c.members.set(user, Math.max(c.members.get(user)!, to));
      const want = expected(c, user);
      expect([res.body.unread_count, res.body.unread_mentions], `step ${step}: mark-read answer`).toEqual([want.unread, want.mentions]);
    } else if (o.k === 'add') {
      const user = users[o.u]!;
      await api.addMembers(SERVER, c.cid, [user]);
      if (!c.members.has(user)) c.members.set(user, maxSeq(c));
    } else {
      const user = users[o.u]!;
      await api.removeMembers(SERVER, c.cid, [user]);
      c.members.delete(user);
    }
  }
  await checkAll(users, channels, 'end');
}

it('unread counts always equal a recount of the model', { timeout: 240_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
      await execute(ops);
    }),
    { numRuns: 30, endOnFailure: true },
  );
});

it('a fixed scenario: mentions in thread-only replies and deleted parents', { timeout: 60_000 }, async () => {
  await execute([
    { k: 'send', c: 0, u: 0, kind: 'plain', target: 0, pick: 0 },
    { k: 'send', c: 0, u: 1, kind: 'thread', target: 2, pick: 0 },
    { k: 'send', c: 0, u: 1, kind: 'shown', target: 2, pick: 0 },
    { k: 'send', c: 0, u: 2, kind: 'mention', target: 1, pick: 0 },
    { k: 'send', c: 0, u: 0, kind: 'mention-text', target: 3, pick: 0 },
    { k: 'check' },
    { k: 'delete', c: 0, pick: 0 },
    { k: 'add', c: 0, u: 3 },
    { k: 'send', c: 0, u: 0, kind: 'mention', target: 3, pick: 0 },
    { k: 'read', c: 0, u: 1, how: 'seq', pick: 3 },
    { k: 'remove', c: 0, u: 2 },
    { k: 'send', c: 0, u: 2, kind: 'plain', target: 0, pick: 0 },
    { k: 'read', c: 1, u: 2, how: 'latest', pick: 0 },
  ]);
});
