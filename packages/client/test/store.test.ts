/**
 * The store and its pure parts, without a server: the useSyncExternalStore contract, immutable
 * snapshots, the sorted channel list, dedupe by id and client_msg_id, positions and gaps, typing
 * expiry on the receiver's clock, delivery status.
 */
import { describe, expect, it } from 'vitest';
import type { ChannelState, Message } from '@parley/protocol';
import {
  applyEvent,
  applyThreadRead,
  classify,
  collapse,
  emptyThread,
  expireTyping,
  initialSnapshot,
  markThreadReadLocally,
  MemoryStorage,
  mergeMessages,
  mergeReplies,
  newAction,
  Persister,
  selectChannelList,
  selectMessages,
  selectThread,
  selectThreadUnread,
  selectUnread,
  selectUnreadThreads,
  Store,
  upsertChannelState,
  withRestored,
  withServerThreadUnread,
  type ActionChange,
  type ClientSnapshot,
} from '@parley/client';

const T0 = '2026-01-01T00:00:00.000Z';
const user = (id: string) => ({ id, name: id, image: null });

function message(seq: number, from: string, extra: Partial<Message> = {}): Message {
  return {
    id: `00000000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    cid: 'messaging:a',
    seq,
    user: user(from),
    text: `m${seq}`,
    html: '',
    type: 'regular',
    attachments: [],
    parent_id: null,
    show_in_channel: false,
    reply_count: 0,
    thread_participants: [],
    last_reply_at: null,
    quoted_message_id: null,
    quoted_message: null,
    mentioned_users: [],
    reaction_counts: {},
    reaction_scores: {},
    latest_reactions: [],
    own_reactions: [],
    pinned: false,
    pinned_at: null,
    pinned_by: null,
    pin_expires: null,
    silent: false,
    edited_at: null,
    deleted_at: null,
    client_msg_id: null,
    created_at: new Date(Date.parse(T0) + seq * 1000).toISOString(),
    updated_at: new Date(Date.parse(T0) + seq * 1000).toISOString(),
    custom: {},
    ...extra,
  };
}

function channel(cid: string, lastMessageAt: string | null, messages: Message[] = []): ChannelState {
  const [type, id] = cid.split(':') as [string, string];
  return {
    channel: { cid, type, id, name: null, image: null, custom: {}, created_by: 'bob', distinct: false, frozen: false, member_count: 2, last_message_at: lastMessageAt, created_at: T0, updated_at: T0, deleted_at: null, truncated_seq: 0 },
    members: [],
    member_count: 2,
    messages,
    has_more_before: false,
    has_more_after: false,
    pinned_messages: [],
    membership: { user_id: 'alice', user: user('alice'), role: 'member', banned: false, created_at: T0, updated_at: T0, starred: false, archived: false, hidden: false, muted_until: null, notifications: 'all', last_read_seq: 0, last_read_at: null, last_delivered_seq: 0 },
    read: [
      { user_id: 'alice', last_read_seq: 0, last_read_at: null, last_delivered_seq: 0 },
      { user_id: 'bob', last_read_seq: 0, last_read_at: null, last_delivered_seq: 0 },
    ],
    unread_count: 0,
    unread_mentions: 0,
    cursor: 'c',
  };
}

const base = (): ClientSnapshot => upsertChannelState(initialSnapshot('alice'), channel('messaging:a', null));

describe('Store', () => {
  it('notifies subscribers once per change (once per batch), returns the same snapshot while nothing changes', () => {
    const store = new Store(initialSnapshot('alice'));
    let calls = 0;
    const unsubscribe = store.subscribe(() => calls++);
    const first = store.getSnapshot();
    expect(store.getSnapshot()).toBe(first);
    store.update((s) => s);
    expect(calls).toBe(0);
    store.update((s) => upsertChannelState(s, channel('messaging:a', null)));
    expect(calls).toBe(1);
    expect(store.getSnapshot()).not.toBe(first);
    expect(first.channels).toEqual({});
    store.batch(() => {
      store.update((s) => upsertChannelState(s, channel('messaging:b', null)));
      store.update((s) => upsertChannelState(s, channel('messaging:c', null)));
    });
    expect(calls).toBe(2);
    unsubscribe();
    store.update((s) => upsertChannelState(s, channel('messaging:d', null)));
    expect(calls).toBe(2);
  });

  it('keeps the channel list sorted by last activity, and re-sorts on a new message', () => {
    const store = new Store(initialSnapshot('alice'));
    store.update((s) => upsertChannelState(s, channel('messaging:old', '2026-01-01T00:00:01.000Z')));
    store.update((s) => upsertChannelState(s, channel('messaging:new', '2026-01-01T00:00:05.000Z')));
    store.update((s) => upsertChannelState(s, channel('messaging:none', null)));
    expect(store.getSnapshot().channelList).toEqual(['messaging:new', 'messaging:old', 'messaging:none']);
    const list = store.getSnapshot().channelList;
    const m = { ...message(1, 'bob'), cid: 'messaging:old', created_at: '2026-01-01T00:00:09.000Z' };
    store.update((s) => applyEvent(s, { type: 'message.new', cid: 'messaging:old', seq: 1, message: m }, 0));
    expect(store.getSnapshot().channelList).toEqual(['messaging:old', 'messaging:new', 'messaging:none']);
    expect(store.getSnapshot().channelList).not.toBe(list);
    expect(selectChannelList(store.getSnapshot())).toBe(selectChannelList(store.getSnapshot()));
  });
});

describe('events and positions', () => {
  it('dedupes by seq: the same event twice counts once', () => {
    let s = base();
    const event = { type: 'message.new', cid: 'messaging:a', seq: 1, message: message(1, 'bob') };
    s = applyEvent(s, event, 0);
    const once = s;
    s = applyEvent(s, event, 0);
    expect(s).toBe(once);
    expect(s.channels['messaging:a']!.unread_count).toBe(1);
    expect(s.positions['messaging:a']).toEqual({ seq: 1, exact: true });
  });

  it('classifies gaps only against exact positions', () => {
    expect(classify(undefined, 5)).toBe('apply');
    expect(classify({ seq: 3, exact: true }, 3)).toBe('skip');
    expect(classify({ seq: 3, exact: true }, 4)).toBe('apply');
    expect(classify({ seq: 3, exact: true }, 6)).toBe('gap');
    expect(classify({ seq: 3, exact: false }, 6)).toBe('apply');
  });

  it('a loaded state stands at its newest message: older events are skipped', () => {
    const s = upsertChannelState(initialSnapshot('alice'), { ...channel('messaging:a', T0, [message(4, 'bob')]), unread_count: 1 });
    expect(s.positions['messaging:a']).toEqual({ seq: 4, exact: false });
    const replay = applyEvent(s, { type: 'message.new', cid: 'messaging:a', seq: 4, message: message(4, 'bob') }, 0);
    expect(replay).toBe(s);
    expect(selectUnread(s).total).toBe(1);
  });

  it('an optimistic message is replaced by the confirmed one (client_msg_id), never shown twice', () => {
    let s = base();
    s = { ...s, outbox: [{ client_msg_id: 'c-1', cid: 'messaging:a', user_id: 'alice', body: { text: 'hi', client_msg_id: 'c-1' }, status: 'sending', attempts: 0, created_at: T0, error: null }] };
    expect(selectMessages(s, 'messaging:a').map((m) => [m.text, m.status, m.pending])).toEqual([['hi', 'sending', true]]);
    const confirmed = message(1, 'alice', { text: 'hi', client_msg_id: 'c-1' });
    s = applyEvent(s, { type: 'message.new', cid: 'messaging:a', seq: 1, message: confirmed }, 0);
    expect(s.outbox).toEqual([]);
    expect(selectMessages(s, 'messaging:a').map((m) => [m.text, m.status, m.pending])).toEqual([['hi', 'sent', false]]);
    // The send's answer arriving after the event changes nothing.
    const again = mergeMessages(s, 'messaging:a', [confirmed]);
    expect(selectMessages(again, 'messaging:a')).toHaveLength(1);
  });

  it('delivery status follows the other member: sent → delivered → read', () => {
    let s = applyEvent(base(), { type: 'message.new', cid: 'messaging:a', seq: 1, message: message(1, 'alice') }, 0);
    expect(selectMessages(s, 'messaging:a')[0]!.status).toBe('sent');
    s = applyEvent(s, { type: 'message.delivered', cid: 'messaging:a', seq: 2, user: user('bob'), last_delivered_seq: 1 }, 0);
    expect(selectMessages(s, 'messaging:a')[0]!.status).toBe('delivered');
    s = applyEvent(s, { type: 'message.read', cid: 'messaging:a', seq: 3, user: user('bob'), last_read_seq: 1, last_read_at: T0, last_delivered_seq: 1 }, 0);
    expect(selectMessages(s, 'messaging:a')[0]!.status).toBe('read');
  });

  it('selectMessages returns the same array while its inputs are unchanged', () => {
    const s = applyEvent(base(), { type: 'message.new', cid: 'messaging:a', seq: 1, message: message(1, 'bob') }, 0);
    expect(selectMessages(s, 'messaging:a')).toBe(selectMessages(s, 'messaging:a'));
    const typing = applyEvent(s, { type: 'typing.start', cid: 'messaging:a', user: user('bob') }, 0);
    expect(selectMessages(typing, 'messaging:a')).toBe(selectMessages(s, 'messaging:a'));
  });
});

describe('typing', () => {
  it('expires on the receiver clock; a stop removes it; own typing is ignored; a message ends it', () => {
    let s = applyEvent(base(), { type: 'typing.start', cid: 'messaging:a', user: user('bob') }, 1_000);
    s = applyEvent(s, { type: 'typing.start', cid: 'messaging:a', user: user('alice') }, 1_000);
    expect(Object.keys(s.typing['messaging:a']!)).toEqual(['bob']);
    expect(expireTyping(s, 7_999)).toBe(s);
    expect(expireTyping(s, 8_000).typing['messaging:a']).toEqual({});
    expect(applyEvent(s, { type: 'typing.stop', cid: 'messaging:a', user: user('bob') }, 2_000).typing['messaging:a']).toEqual({});
    const after = applyEvent(s, { type: 'message.new', cid: 'messaging:a', seq: 1, message: message(1, 'bob') }, 2_000);
    expect(after.typing['messaging:a']).toEqual({});
  });
});

describe('threads (pure)', () => {
  const parent = message(1, 'alice');
  const reply = (seq: number, from: string, extra: Partial<Message> = {}) => message(seq, from, { parent_id: parent.id, type: 'reply', ...extra });
  const withThread = (): ClientSnapshot => {
    const s = applyEvent(base(), { type: 'message.new', cid: 'messaging:a', seq: 1, message: parent }, 0);
    return { ...s, threads: { [parent.id]: { ...emptyThread('messaging:a', parent.id), parent, loaded: true, has_more_before: false } } };
  };

  it('keeps replies by seq, each id once, out of the channel; the parent follows message.updated', () => {
    let s = withThread();
    const r3 = reply(3, 'bob');
    s = applyEvent(s, { type: 'message.new', cid: 'messaging:a', seq: 2, message: reply(2, 'bob') }, 0);
    s = applyEvent(s, { type: 'message.new', cid: 'messaging:a', seq: 3, message: r3 }, 0);
    s = applyEvent(s, { type: 'message.new', cid: 'messaging:a', seq: 3, message: r3 }, 0); // replayed: skipped
    s = { ...s, threads: { ...s.threads, [parent.id]: mergeReplies(s.threads[parent.id]!, [r3, reply(2, 'bob')]) } }; // a page overlapping
    s = applyEvent(s, { type: 'message.updated', cid: 'messaging:a', seq: 4, message: { ...parent, reply_count: 2, thread_participants: ['bob'], updated_at: '2026-01-02T00:00:00.000Z' } }, 0);
    const view = selectThread(s, parent.id);
    expect(view.replies.map((m) => m.seq)).toEqual([2, 3]);
    expect(view.parent).toMatchObject({ reply_count: 2, thread_participants: ['bob'] });
    expect(selectMessages(s, 'messaging:a').map((m) => m.seq)).toEqual([1]);
    expect(selectMessages(s, 'messaging:a')[0]!.reply_count).toBe(2);
    s = applyEvent(s, { type: 'message.deleted', cid: 'messaging:a', seq: 5, message: { ...r3, type: 'deleted' }, hard_delete: true }, 0);
    expect(selectThread(s, parent.id).replies.map((m) => m.seq)).toEqual([2]);
  });

  it('a pending reply shows in its thread (not the channel) and is replaced by the confirmed one', () => {
    let s: ClientSnapshot = { ...base(), threads: {} };
    s = applyEvent(s, { type: 'message.new', cid: 'messaging:a', seq: 1, message: parent }, 0);
    s = { ...s, outbox: [{ client_msg_id: 'c-r', cid: 'messaging:a', user_id: 'alice', body: { text: 'mine', parent_id: parent.id, client_msg_id: 'c-r' }, status: 'sending', attempts: 0, created_at: T0, error: null }] };
    expect(selectThread(s, parent.id).replies.map((m) => [m.text, m.pending])).toEqual([['mine', true]]);
    expect(selectMessages(s, 'messaging:a').map((m) => m.text)).toEqual(['m1']);
    // Someone else's reply to a thread nobody opened is not kept; your own confirmed reply is.
    s = applyEvent(s, { type: 'message.new', cid: 'messaging:a', seq: 2, message: reply(2, 'bob') }, 0);
    expect(s.threads[parent.id]).toBeUndefined();
    s = applyEvent(s, { type: 'message.new', cid: 'messaging:a', seq: 3, message: reply(3, 'alice', { text: 'mine', client_msg_id: 'c-r' }) }, 0);
    expect(s.outbox).toEqual([]);
    expect(selectThread(s, parent.id).replies.map((m) => [m.text, m.pending, m.status])).toEqual([['mine', false, 'sent']]);
  });
});

describe('thread unread (pure)', () => {
  const cid = 'messaging:a';
  const mine = message(1, 'alice');
  const theirs = message(2, 'carol', { thread_participants: ['alice', 'carol'] });
  const other = message(3, 'carol');
  const reply = (seq: number, from: string, parentId: string, extra: Partial<Message> = {}) =>
    message(seq, from, { id: `00000000-0000-7000-9000-${String(seq).padStart(12, '0')}`, parent_id: parentId, type: 'reply', ...extra });
  const at = (s: ClientSnapshot, seq: number, m: Message, type = 'message.new', extra: Record<string, unknown> = {}) => applyEvent(s, { type, cid, seq, message: m, ...extra }, 0);
  const start = (): ClientSnapshot => [mine, theirs, other].reduce((s, m) => at(s, m.seq, m), base());

  it("counts others' replies in threads you take part in (your parent, a thread you replied to), not in others", () => {
    let s = start();
    s = at(s, 4, reply(4, 'bob', mine.id));
    s = at(s, 5, reply(5, 'bob', mine.id));
    s = at(s, 6, reply(6, 'bob', theirs.id));
    s = at(s, 7, reply(7, 'bob', other.id));
    expect(selectThreadUnread(s, mine.id)).toBe(2);
    expect(selectThreadUnread(s, theirs.id)).toBe(1);
    expect(selectThreadUnread(s, other.id)).toBe(0);
    expect(s.threadUnread[other.id]).toBeUndefined();
    // A replayed event (seq at or below the position) counts once.
    expect(at(s, 5, reply(5, 'bob', mine.id))).toBe(s);
    // A thread already in the store counts without its parent (e.g. listed by the server).
    s = { ...s, threadUnread: { ...s.threadUnread, 'far-away-parent': { cid, unread_replies: 1, last_read_seq: 0 } } };
    s = at(s, 8, reply(8, 'bob', 'far-away-parent'));
    expect(selectThreadUnread(s, 'far-away-parent')).toBe(2);
    expect(selectUnreadThreads(s)).toMatchObject({ count: 3, replies: 5 });
  });

  it('your own reply reads the thread (0, pointer at your reply); the next reply of someone else counts again', () => {
    let s = start();
    s = at(s, 4, reply(4, 'bob', mine.id));
    s = at(s, 5, reply(5, 'alice', mine.id));
    expect(s.threadUnread[mine.id]).toEqual({ cid, unread_replies: 0, last_read_seq: 5 });
    // Replying to someone else's thread makes you take part in it.
    s = at(s, 6, reply(6, 'alice', other.id));
    s = at(s, 7, reply(7, 'bob', other.id));
    expect(selectThreadUnread(s, other.id)).toBe(1);
    s = at(s, 8, reply(8, 'bob', mine.id));
    expect(selectThreadUnread(s, mine.id)).toBe(1);
  });

  it('a deleted unread reply is uncounted once (soft then hard); a read one or a parent changes what it should', () => {
    let s = start();
    const r4 = reply(4, 'bob', mine.id);
    const r5 = reply(5, 'bob', mine.id);
    const r6 = reply(6, 'bob', mine.id);
    s = [r4, r5, r6].reduce((acc, r) => at(acc, r.seq, r), s);
    s = { ...s, threads: { [mine.id]: { ...emptyThread(cid, mine.id), replies: [r4, r5, r6], loaded: true } } };
    expect(selectThreadUnread(s, mine.id)).toBe(3);
    s = at(s, 7, { ...r5, type: 'deleted', deleted_at: T0 }, 'message.deleted');
    expect(selectThreadUnread(s, mine.id)).toBe(2);
    s = at(s, 8, { ...r5, type: 'deleted', deleted_at: T0 }, 'message.deleted', { hard_delete: true });
    expect(selectThreadUnread(s, mine.id)).toBe(2);
    // Read up to 4 (another device): deleting reply 4 changes nothing, deleting 6 does.
    s = applyEvent(s, { type: 'notification.thread_mark_read', cid, parent_id: mine.id, last_read_seq: 4, unread_replies: 1 }, 0);
    s = at(s, 9, { ...r4, type: 'deleted', deleted_at: T0 }, 'message.deleted');
    expect(selectThreadUnread(s, mine.id)).toBe(1);
    s = at(s, 10, { ...r6, type: 'deleted', deleted_at: T0 }, 'message.deleted');
    expect(selectThreadUnread(s, mine.id)).toBe(0);
    // The parent deleted: the thread is gone.
    s = at(s, 11, { ...mine, type: 'deleted', deleted_at: T0 }, 'message.deleted');
    expect(s.threadUnread[mine.id]).toBeUndefined();
  });

  it('notification.thread_mark_read sets pointer and count, never moves the pointer back; works outside the loaded channels', () => {
    let s = start();
    s = [4, 5, 6].reduce((acc, seq) => at(acc, seq, reply(seq, 'bob', mine.id)), s);
    const read = (last_read_seq: number, unread_replies: number, c = cid, parent_id = mine.id) => ({ type: 'notification.thread_mark_read', cid: c, parent_id, last_read_seq, unread_replies });
    s = applyEvent(s, read(6, 0), 0);
    expect(s.threadUnread[mine.id]).toEqual({ cid, unread_replies: 0, last_read_seq: 6 });
    s = at(s, 7, reply(7, 'bob', mine.id));
    // The same notification replayed (a sync after a reconnect) is older than what followed it.
    expect(applyEvent(s, read(6, 0), 0)).toBe(s);
    expect(applyEvent(s, read(5, 1), 0)).toBe(s);
    expect(selectThreadUnread(applyEvent(s, read(7, 0), 0), mine.id)).toBe(0);
    const elsewhere = applyEvent(s, read(3, 0, 'messaging:not-loaded', 'p-x'), 0);
    expect(elsewhere.threadUnread['p-x']).toEqual({ cid: 'messaging:not-loaded', unread_replies: 0, last_read_seq: 3 });
  });

  it('marking read: 0 at once, then the answer (fresh: also at the same pointer)', () => {
    let entries = withServerThreadUnread({}, [{ parent_id: 'p1', cid, unread_replies: 3, last_read_seq: 10 }]);
    entries = markThreadReadLocally(entries, 'p1', undefined);
    expect(entries.p1).toEqual({ cid, unread_replies: 0, last_read_seq: 10 });
    expect(markThreadReadLocally(entries, 'p2', undefined)).toBe(entries); // no entry and no cid: nothing to show
    expect(markThreadReadLocally(entries, 'p2', cid).p2).toEqual({ cid, unread_replies: 0, last_read_seq: 0 });
    expect(applyThreadRead(entries, 'p1', { cid, unread_replies: 1, last_read_seq: 10 }, true).p1!.unread_replies).toBe(1);
    expect(applyThreadRead(entries, 'p1', { cid, unread_replies: 1, last_read_seq: 10 }, false)).toBe(entries);
    expect(applyThreadRead(entries, 'p1', { cid, unread_replies: 0, last_read_seq: 9 }, true)).toBe(entries);
    expect(applyThreadRead(entries, 'p1', { cid, unread_replies: 0, last_read_seq: 14 }, false).p1).toEqual({ cid, unread_replies: 0, last_read_seq: 14 });
  });

  it("the server's list replaces the counts: unlisted threads are read (kept), a full list keeps older ones", () => {
    const listed = [
      { parent_id: 'p3', cid, unread_replies: 2, last_read_seq: 30 },
      { parent_id: 'p2', cid, unread_replies: 1, last_read_seq: 20 },
    ];
    const entries = withServerThreadUnread({ p1: { cid, unread_replies: 4, last_read_seq: 1 }, p2: { cid, unread_replies: 9, last_read_seq: 2 } }, listed);
    expect(entries).toEqual({ p1: { cid, unread_replies: 0, last_read_seq: 1 }, p2: { cid, unread_replies: 1, last_read_seq: 20 }, p3: { cid, unread_replies: 2, last_read_seq: 30 } });
    expect(withServerThreadUnread(entries, listed)).toBe(entries);
    const full = Array.from({ length: 200 }, (_, i) => ({ parent_id: `q${String(i + 100).padStart(4, '0')}`, cid, unread_replies: 1, last_read_seq: 1 }));
    const kept = withServerThreadUnread({ q0001: { cid, unread_replies: 5, last_read_seq: 0 }, q9999: { cid, unread_replies: 5, last_read_seq: 0 } }, full);
    expect(kept.q0001!.unread_replies).toBe(5); // older than the oldest listed: beyond the server's 200
    expect(kept.q9999!.unread_replies).toBe(0);
  });

  it('leaving a channel or truncating it drops its threads', () => {
    let s = start();
    s = at(s, 4, reply(4, 'bob', mine.id));
    s = { ...s, threadUnread: { ...s.threadUnread, 'p-other': { cid: 'messaging:b', unread_replies: 1, last_read_seq: 3 } } };
    const truncated = applyEvent(s, { type: 'channel.truncated', cid, seq: 5, channel: { ...s.channels[cid]!.channel, truncated_seq: 4 } }, 0);
    expect(Object.keys(truncated.threadUnread)).toEqual(['p-other']);
    const left = applyEvent(s, { type: 'notification.removed_from_channel', cid }, 0);
    expect(Object.keys(left.threadUnread)).toEqual(['p-other']);
    // A channel outside the store: its threads go too.
    expect(applyEvent(s, { type: 'notification.removed_from_channel', cid: 'messaging:b' }, 0).threadUnread['p-other']).toBeUndefined();
  });

  it('selectUnreadThreads: newest parent first, only unread ones, the same object while nothing changed', () => {
    let s = start();
    s = at(s, 4, reply(4, 'bob', mine.id));
    s = at(s, 5, reply(5, 'bob', theirs.id));
    s = at(s, 6, reply(6, 'alice', other.id)); // read: not listed
    const unread = selectUnreadThreads(s);
    expect(unread.threads.map((t) => [t.parent_id, t.unread_replies])).toEqual([
      [theirs.id, 1],
      [mine.id, 1],
    ]);
    expect(unread.threads[0]).toEqual({ parent_id: theirs.id, cid, unread_replies: 1, last_read_seq: 4 });
    expect(selectUnreadThreads(s)).toBe(unread);
    const typing = applyEvent(s, { type: 'typing.start', cid, user: user('bob') }, 0);
    expect(selectUnreadThreads(typing)).toBe(unread);
    expect(selectUnreadThreads(at(s, 7, reply(7, 'bob', mine.id)))).not.toBe(unread);
  });

  it('is persisted with the snapshot and restored at cold start', async () => {
    const storage = new MemoryStorage();
    const s = at(start(), 4, reply(4, 'bob', mine.id));
    const persister = new Persister(storage, 'alice', { debounceMs: 0 });
    await persister.load();
    persister.schedule(s);
    await persister.flush();
    const restored = withRestored(initialSnapshot('alice'), await new Persister(storage, 'alice').load());
    expect(restored.threadUnread).toEqual(s.threadUnread);
    expect(selectThreadUnread(restored, mine.id)).toBe(1);
  });
});

describe('action queue collapsing (pure)', () => {
  const action = (id: string, change: ActionChange, messageId = 'm1') => newAction(initialSnapshot('alice'), messageId, change, id);
  const like = (id: string, op: 'add' | 'remove') => action(id, { kind: 'reaction', op, type: 'like', score: 1, enforce_unique: false });

  it('keeps one edit with the final content, lets a delete replace earlier changes, the last reaction op win; never touches the one in flight', () => {
    let queue = collapse([], action('e1', { kind: 'edit', body: { text: 'a', custom: { x: 1 } } }), undefined).actions;
    queue = collapse(queue, action('e2', { kind: 'edit', body: { text: 'b' } }), undefined).actions;
    expect(queue.map((a) => [a.id, a.kind === 'edit' && a.body])).toEqual([['e2', { text: 'b', custom: { x: 1 } }]]);
    queue = collapse(queue, like('r1', 'add'), undefined).actions;
    queue = collapse(queue, like('r2', 'remove'), undefined).actions;
    queue = collapse(queue, action('x', { kind: 'edit', body: { text: 'other' } }, 'm2'), undefined).actions;
    expect(queue.map((a) => a.id)).toEqual(['e2', 'r2', 'x']);
    const { actions, superseded } = collapse(queue, action('d', { kind: 'delete', hard: false }), 'e2');
    expect(actions.map((a) => a.id)).toEqual(['e2', 'x', 'd']);
    expect(superseded.map((a) => a.id)).toEqual(['r2']);
  });
});
