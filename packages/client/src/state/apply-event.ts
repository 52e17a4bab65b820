/**
 * Applies wire events to the whole client snapshot. Channel updates go through the protocol's
 * pure `applyChannelEvent` (the reducer the server's verify-action tests check); this module adds
 * what belongs to the client: positions, the channel set, the outbox, typing, presence.
 */
import { applyChannelEvent, type ChannelState, type Message, type WireEvent } from '@parley/protocol';
import { classify, floorOf, type Position } from './positions.js';
import type { ClientSnapshot, OutboxItem } from './types.js';
import { applyTyping } from './typing.js';
import { applyThreadEvent, dropThreads, mergeIntoThreads } from './threads.js';
import { applyThreadUnreadEvent, dropThreadUnread } from './thread-unread.js';
import { withConsistentUnread } from './normalize.js';

/**
 * How long a `typing.start` shows without a `typing.stop` (receiver side).
 *
 * @example
 * const stillTyping = entry.expires_at - Date.now() < TYPING_TTL_MS;
 */
export const TYPING_TTL_MS = 7_000;

/**
 * Applies one event. Channel events (with `seq`) at or below the channel's position are skipped;
 * callers check for gaps (`classify`) before calling. Events of channels not in the store are
 * ignored here (the client fetches those channels).
 *
 * @example
 * next = applyEvent(snapshot, { type: 'message.new', cid, seq: 12, message }, Date.now());
 */
export function applyEvent(state: ClientSnapshot, event: WireEvent, now: number, typingTtlMs = TYPING_TTL_MS): ClientSnapshot {
  const me = state.userId ?? '';
  if (event.type === 'typing.start' || event.type === 'typing.stop') return applyTyping(state, event, now + typingTtlMs);
  if (event.type === 'user.presence.changed') return applyPresenceEvent(state, event);
  if (event.type === 'user.updated' && event.user && state.me && event.user.id === state.me.id) {
    return { ...state, me: { ...state.me, ...(event.user as object) } };
  }
  if (event.type === 'notification.thread_mark_read') {
    // Personal (no channel seq): a thread of any channel, even one outside the store.
    const threadUnread = applyThreadUnreadEvent(state.threadUnread, event, me, () => undefined);
    return threadUnread === state.threadUnread ? state : { ...state, threadUnread };
  }
  const cid = event.cid;
  if (!cid) return state;
  if (event.type === 'notification.removed_from_channel') return removeChannel(state, cid);
  const current = state.channels[cid];
  if (!current) return state;

  let position = state.positions[cid];
  if (typeof event.seq === 'number') {
    if (classify(position, event.seq) === 'skip') return state;
    position = { seq: event.seq, exact: true };
  }
  const next = applyChannelEvent(current, event, me);
  // A sender's typing indicator ends with their message.
  let typing = state.typing;
  if (event.type === 'message.new' && event.message?.user && typing[cid]?.[event.message.user.id]) {
    const { [event.message.user.id]: _gone, ...rest } = typing[cid]!;
    typing = { ...typing, [cid]: rest };
  }
  if ((event.type === 'member.removed' && event.member?.user_id === me) || event.type === 'channel.deleted') {
    return removeChannel(state, cid);
  }
  const threads = applyThreadEvent(state.threads, event, me);
  // Looked up in the state before the event: the parent of a reply, the previous copy of a deleted one.
  const threadUnread = applyThreadUnreadEvent(state.threadUnread, event, me, (id) => findMessage(state, id));
  if (next === current && position === state.positions[cid] && typing === state.typing && threads === state.threads && threadUnread === state.threadUnread) return state;
  return withOutboxConfirmed(
    { ...state, typing, threads, threadUnread, channels: { ...state.channels, [cid]: next }, positions: position ? { ...state.positions, [cid]: position } : state.positions },
    event.message ? [event.message] : [],
  );
}

/**
 * Adds or replaces a channel state read from the server; its position becomes the state's floor
 * unless the store already stands further (a newer state is never replaced by an older read).
 * Unread counts are made consistent with the loaded messages (`withConsistentUnread`).
 *
 * @example
 * next = upsertChannelState(snapshot, await client.channels.get(cid));
 */
export function upsertChannelState(state: ClientSnapshot, loaded: ChannelState): ClientSnapshot {
  const channel = withConsistentUnread(loaded, state.userId);
  const cid = channel.channel.cid;
  const floor = floorOf(channel);
  const position = state.positions[cid];
  if (position && position.seq > floor.seq && state.channels[cid]) return state;
  return withOutboxConfirmed(
    { ...state, channels: { ...state.channels, [cid]: channel }, positions: { ...state.positions, [cid]: floor } },
    channel.messages,
  );
}

/**
 * Merges messages read outside the event stream (a send's response, a backfill page) through the
 * reducer as `message.new`, without moving the channel's position; `upTo` sets an exact position
 * afterwards (a backfill that covered everything up to it).
 *
 * @example
 * next = mergeMessages(snapshot, cid, [sentMessage]);
 */
export function mergeMessages(state: ClientSnapshot, cid: string, messages: Message[], upTo?: number): ClientSnapshot {
  let channel = state.channels[cid];
  if (!channel) return state;
  const me = state.userId ?? '';
  for (const message of messages) {
    if (channel.messages.some((m) => m.id === message.id)) {
      if (message.updated_at > (channel.messages.find((m) => m.id === message.id)!.updated_at ?? '')) {
        channel = applyChannelEvent(channel, { type: 'message.updated', cid, message }, me);
      }
      continue;
    }
    channel = applyChannelEvent(channel, { type: 'message.new', cid, seq: message.seq, message }, me);
  }
  const positions: Record<string, Position> = upTo === undefined ? (state.positions as Record<string, Position>) : { ...state.positions, [cid]: { seq: Math.max(upTo, state.positions[cid]?.seq ?? 0), exact: true } };
  const threads = mergeIntoThreads(state.threads, messages, me);
  return withOutboxConfirmed({ ...state, threads, channels: { ...state.channels, [cid]: channel }, positions }, messages);
}

/**
 * Drops a channel (left, removed, deleted) with its position, typing, threads and their unread counts.
 *
 * @example
 * next = removeChannel(snapshot, 'messaging:old');
 */
export function removeChannel(state: ClientSnapshot, cid: string): ClientSnapshot {
  const threadUnread = dropThreadUnread(state.threadUnread, cid);
  if (!state.channels[cid]) return threadUnread === state.threadUnread ? state : { ...state, threadUnread };
  const { [cid]: _c, ...channels } = state.channels;
  const { [cid]: _p, ...positions } = state.positions;
  const { [cid]: _t, ...typing } = state.typing;
  return { ...state, channels, positions, typing, threadUnread, threads: dropThreads(state.threads, cid) };
}

/** Outbox items whose message the server has (seen in state or an event) leave the outbox. */
function withOutboxConfirmed(state: ClientSnapshot, messages: readonly Message[]): ClientSnapshot {
  if (state.outbox.length === 0 || messages.length === 0) return state;
  const confirmed = new Set<string>();
  for (const m of messages) if (m.client_msg_id && m.user?.id === state.userId) confirmed.add(m.client_msg_id);
  if (confirmed.size === 0) return state;
  const outbox: OutboxItem[] = state.outbox.filter((item) => !confirmed.has(item.client_msg_id));
  return outbox.length === state.outbox.length ? state : { ...state, outbox };
}

function applyPresenceEvent(state: ClientSnapshot, event: WireEvent): ClientSnapshot {
  const userId = event.user?.id;
  if (!userId) return state;
  const online = (event as { online?: unknown }).online === true;
  const { [userId]: _old, ...rest } = state.presence;
  return { ...state, presence: online ? { ...rest, [userId]: Math.max(1, state.presence[userId] ?? 0) } : rest };
}

/**
 * Adds an older page of history (scrolling up). Not events: nothing is counted as unread, the
 * position does not move.
 *
 * @example
 * next = prependMessages(snapshot, cid, page.messages, page.has_more_before);
 */
export function prependMessages(state: ClientSnapshot, cid: string, messages: Message[], hasMoreBefore: boolean): ClientSnapshot {
  const channel = state.channels[cid];
  if (!channel) return state;
  const known = new Set(channel.messages.map((m) => m.id));
  const older = messages.filter((m) => !known.has(m.id));
  const merged = [...older, ...channel.messages].sort((a, b) => a.seq - b.seq);
  return { ...state, channels: { ...state.channels, [cid]: { ...channel, messages: merged, has_more_before: hasMoreBefore } } };
}

/**
 * Applies the answer of one of your writes (a reaction, an edit, a delete) as the matching event,
 * to the channel and its threads, without moving the position (answers carry no event seq). An
 * answer older than what the store shows (a later event already applied) changes nothing.
 *
 * @example
 * next = applyAnswer(snapshot, { type: 'message.updated', cid: message.cid, message });
 */
export function applyAnswer(state: ClientSnapshot, event: WireEvent & { message: Message }): ClientSnapshot {
  const me = state.userId ?? '';
  const { message } = event;
  const known = findMessage(state, message.id);
  if (known && known.updated_at > message.updated_at) return state;
  const channel = state.channels[message.cid];
  const next = channel ? applyChannelEvent(channel, event, me) : channel;
  const threads = applyThreadEvent(state.threads, event, me);
  if (next === channel && threads === state.threads) return state;
  return { ...state, threads, channels: next ? { ...state.channels, [message.cid]: next } : state.channels };
}

/**
 * A confirmed message in the store: a channel's, a pinned one, a thread's parent or reply.
 *
 * @example
 * const message = findMessage(snapshot, id);
 */
export function findMessage(state: ClientSnapshot, id: string): Message | undefined {
  for (const channel of Object.values(state.channels)) {
    const found = channel.messages.find((m) => m.id === id) ?? channel.pinned_messages.find((m) => m.id === id);
    if (found) return found;
  }
  for (const thread of Object.values(state.threads)) {
    if (thread.parent?.id === id) return thread.parent;
    const found = thread.replies.find((m) => m.id === id);
    if (found) return found;
  }
  return undefined;
}
