/**
 * The pure channel-state reducer: `applyChannelEvent(state, event, me)` returns the state a
 * refetch would return after the event. The server's verify-action tests check exactly that, and
 * the SDK drives its store with it. No I/O, no clocks, never mutates its input.
 */
import type { ChannelState, Member, Membership, ReadState } from '../schemas/channels.js';
import type { Message, Reaction } from '../schemas/messages.js';

/** Any event as it arrives on the wire; fields depend on `type` (see docs/subsystems/events.md). */
export interface WireEvent {
  type: string;
  cid?: string;
  seq?: number;
  created_at?: string;
  user?: { id: string; name: string | null; image: string | null } | null;
  message?: Message;
  reaction?: Reaction;
  user_reactions?: Reaction[];
  hard_delete?: boolean;
  member?: Member;
  read?: ReadState;
  member_count?: number;
  channel?: ChannelState['channel'];
  membership?: Membership;
  last_read_seq?: number;
  last_read_at?: string | null;
  last_delivered_seq?: number;
  unread_count?: number;
  unread_mentions?: number;
  [key: string]: unknown;
}

/** Counted as unread: a visible, non-system message by someone else. */
export function countsAsUnread(message: Message, me: string): boolean {
  return (
    message.type !== 'deleted' &&
    message.type !== 'system' &&
    message.user?.id !== me &&
    (message.parent_id === null || message.show_in_channel)
  );
}

function visibleInChannel(message: Message): boolean {
  return message.parent_id === null || message.show_in_channel;
}

function sortBySeq(messages: Message[]): Message[] {
  return [...messages].sort((a, b) => a.seq - b.seq);
}

function upsertRead(reads: ReadState[], next: Partial<ReadState> & { user_id: string }, onlyIfPresent: boolean): ReadState[] {
  const index = reads.findIndex((r) => r.user_id === next.user_id);
  if (index === -1) {
    if (onlyIfPresent) return reads;
    return [...reads, { last_read_seq: 0, last_read_at: null, last_delivered_seq: 0, ...next }];
  }
  const copy = [...reads];
  copy[index] = { ...copy[index]!, ...next };
  return copy;
}

/** Replaces a message wherever it appears, keeping the viewer's own reactions (events carry none). */
function replaceMessage(state: ChannelState, message: Message, ownReactions?: Reaction[]): ChannelState {
  const merge = (existing: Message): Message => ({ ...message, own_reactions: ownReactions ?? existing.own_reactions });
  const messages = state.messages.map((m) => (m.id === message.id ? merge(m) : m)).map((m) => refreshQuote(m, message));
  const previous = state.messages.find((m) => m.id === message.id) ?? state.pinned_messages.find((m) => m.id === message.id);
  let pinned = state.pinned_messages.filter((m) => m.id !== message.id);
  if (message.pinned && message.type !== 'deleted') {
    pinned = [merge(previous ?? message), ...pinned].sort((a, b) => (b.pinned_at ?? '').localeCompare(a.pinned_at ?? ''));
  }
  return { ...state, messages, pinned_messages: pinned.map((m) => refreshQuote(m, message)) };
}

/** A quoting message shows the quoted one as it is now (deleted quotes show as deleted). */
function refreshQuote(quoting: Message, quoted: Message): Message {
  if (quoting.quoted_message?.id !== quoted.id || quoting.type === 'deleted') return quoting;
  return {
    ...quoting,
    quoted_message: {
      ...quoting.quoted_message,
      type: quoted.type,
      text: quoted.text,
      html: quoted.html,
      attachments: quoted.attachments,
      deleted_at: quoted.deleted_at,
    },
  };
}

function onMessageNew(state: ChannelState, event: WireEvent, me: string): ChannelState {
  const message = event.message!;
  let next = state;
  // System messages ("Alice added Bob") are not read receipts: pointers stay.
  const sender = message.type === 'system' ? undefined : message.user?.id;
  if (sender) {
    // The server moves the sender's read pointer to their own message.
    const read = next.read.find((r) => r.user_id === sender);
    if (read && read.last_read_seq < message.seq) {
      next = {
        ...next,
        read: upsertRead(next.read, { user_id: sender, last_read_seq: message.seq, last_read_at: message.created_at, last_delivered_seq: Math.max(read.last_delivered_seq, message.seq) }, true),
      };
    }
    if (sender === me && next.membership && next.membership.last_read_seq < message.seq) {
      // Sending anything (a thread reply too) reads the channel up to it: nothing is unread after.
      next = {
        ...next,
        membership: { ...next.membership, last_read_seq: message.seq, last_read_at: message.created_at, last_delivered_seq: Math.max(next.membership.last_delivered_seq, message.seq) },
        unread_count: 0,
        unread_mentions: 0,
      };
    }
  }
  if (!visibleInChannel(message)) return next;
  const messages = next.messages.some((m) => m.id === message.id) ? next.messages : sortBySeq([...next.messages, message]);
  next = { ...next, messages, channel: { ...next.channel, last_message_at: message.created_at } };
  const membership = next.membership;
  if (membership) {
    next = { ...next, membership: { ...membership, hidden: false } };
    if (countsAsUnread(message, me) && message.seq > membership.last_read_seq) {
      const mentioned = message.mentioned_users.some((u) => u.id === me);
      next = { ...next, unread_count: next.unread_count + 1, unread_mentions: next.unread_mentions + (mentioned ? 1 : 0) };
    }
  }
  return next;
}

function onMessageDeleted(state: ChannelState, event: WireEvent, me: string): ChannelState {
  const tombstone = event.message!;
  const previous = state.messages.find((m) => m.id === tombstone.id);
  let next: ChannelState = state;
  if (previous && next.membership && countsAsUnread(previous, me) && previous.seq > next.membership.last_read_seq) {
    const mentioned = previous.mentioned_users.some((u) => u.id === me);
    next = { ...next, unread_count: Math.max(0, next.unread_count - 1), unread_mentions: Math.max(0, next.unread_mentions - (mentioned ? 1 : 0)) };
  }
  if (event.hard_delete) {
    next = { ...next, messages: next.messages.filter((m) => m.id !== tombstone.id), pinned_messages: next.pinned_messages.filter((m) => m.id !== tombstone.id) };
    return { ...next, messages: next.messages.map((m) => refreshQuote(m, tombstone)) };
  }
  return replaceMessage(next, tombstone);
}

function onReaction(state: ChannelState, event: WireEvent, me: string): ChannelState {
  const own = event.user?.id === me ? (event.user_reactions ?? []) : undefined;
  return replaceMessage(state, event.message!, own);
}

function onRead(state: ChannelState, event: WireEvent, me: string): ChannelState {
  const userId = event.user!.id;
  const fields: Partial<ReadState> = { last_read_seq: event.last_read_seq!, last_read_at: event.last_read_at ?? null, last_delivered_seq: event.last_delivered_seq! };
  let next = { ...state, read: upsertRead(state.read, { user_id: userId, ...fields }, userId !== me) };
  if (userId === me && next.membership) {
    next = { ...next, membership: { ...next.membership, ...fields }, unread_count: event.unread_count ?? 0, unread_mentions: event.unread_mentions ?? 0 };
  }
  return next;
}

function onDelivered(state: ChannelState, event: WireEvent, me: string): ChannelState {
  const userId = event.user!.id;
  let next = { ...state, read: upsertRead(state.read, { user_id: userId, last_delivered_seq: event.last_delivered_seq! }, true) };
  if (userId === me && next.membership) next = { ...next, membership: { ...next.membership, last_delivered_seq: event.last_delivered_seq! } };
  return next;
}

function onMember(state: ChannelState, event: WireEvent, me: string): ChannelState {
  const member = event.member!;
  const count = event.member_count ?? state.member_count;
  let members = state.members.filter((m) => m.user_id !== member.user_id);
  let read = state.read;
  let membership = state.membership;
  if (event.type === 'member.removed') {
    read = read.filter((r) => r.user_id !== member.user_id);
    if (member.user_id === me) membership = null;
  } else {
    members = [...members, member].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.user_id.localeCompare(b.user_id));
    if (event.read && !read.some((r) => r.user_id === member.user_id)) read = [...read, event.read];
    if (member.user_id === me && membership) membership = { ...membership, role: member.role, banned: member.banned, updated_at: member.updated_at };
  }
  return { ...state, members, read, membership, member_count: count, channel: { ...state.channel, member_count: count } };
}

function onTruncated(state: ChannelState, event: WireEvent): ChannelState {
  const channel = event.channel!;
  const keep = (m: Message) => m.seq > channel.truncated_seq;
  return { ...state, channel, messages: state.messages.filter(keep), pinned_messages: state.pinned_messages.filter(keep), unread_count: 0, unread_mentions: 0, has_more_before: false };
}

/** Applies one event to one channel's state as seen by user `me`. Unknown events leave it unchanged. */
export function applyChannelEvent(state: ChannelState, event: WireEvent, me: string): ChannelState {
  switch (event.type) {
    case 'message.new':
      return onMessageNew(state, event, me);
    case 'message.updated':
      return replaceMessage(state, event.message!);
    case 'message.deleted':
      return onMessageDeleted(state, event, me);
    case 'reaction.new':
    case 'reaction.updated':
    case 'reaction.deleted':
      return onReaction(state, event, me);
    case 'message.read':
      return onRead(state, event, me);
    case 'message.delivered':
      return onDelivered(state, event, me);
    case 'member.added':
    case 'member.updated':
    case 'member.removed':
      return onMember(state, event, me);
    case 'channel.updated':
    case 'channel.frozen':
    case 'channel.unfrozen':
    case 'channel.deleted':
      return { ...state, channel: event.channel!, member_count: event.channel!.member_count };
    case 'channel.truncated':
      return onTruncated(state, event);
    case 'notification.membership_updated':
    case 'notification.mutes_updated':
      return event.membership ? { ...state, membership: event.membership } : state;
    case 'notification.mark_read':
      return state.membership
        ? { ...state, membership: { ...state.membership, last_read_seq: Math.max(state.membership.last_read_seq, event.last_read_seq ?? 0) }, unread_count: event.unread_count ?? 0, unread_mentions: event.unread_mentions ?? 0 }
        : state;
    default:
      return state;
  }
}
