/**
 * The store and its pure parts, without a server: the useSyncExternalStore contract, immutable
 * snapshots, the sorted channel list, dedupe by id and client_msg_id, positions and gaps, typing
 * expiry on the receiver's clock, delivery status.
 */
import { describe, expect, it } from 'vitest';
import type { ChannelState, Message } from '@parley/protocol';
import { applyEvent, classify, collapse, emptyThread, expireTyping, initialSnapshot, mergeMessages, mergeReplies, newAction, selectChannelList, selectMessages, selectThread, selectUnread, Store, upsertChannelState, type ActionChange, type ClientSnapshot } from '@parley/client';

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
