/**
 * Selectors: derived views of a snapshot, memoized so that the same inputs give the same object
 * (what `useSyncExternalStore` selectors need to avoid re-rendering).
 */
import type { ChannelState, Message, Reaction } from '@parley/protocol';
import type { ClientMessage, ClientSnapshot, Draft, MessageStatus, OutboxItem, PendingReaction, TypingEntry } from './types.js';

const listCache = new WeakMap<readonly string[], { channels: ClientSnapshot['channels']; value: ChannelState[] }>();

/**
 * The visible channels, most recent activity first.
 *
 * @example
 * const channels = useSyncExternalStore(client.store.subscribe, () => selectChannelList(client.store.getSnapshot()));
 */
export function selectChannelList(snapshot: ClientSnapshot): ChannelState[] {
  const cached = listCache.get(snapshot.channelList);
  if (cached && cached.channels === snapshot.channels) return cached.value;
  const value = snapshot.channelList.map((cid) => snapshot.channels[cid]!).filter(Boolean);
  listCache.set(snapshot.channelList, { channels: snapshot.channels, value });
  return value;
}

interface MessagesMemo {
  channel: ChannelState | undefined;
  outbox: readonly OutboxItem[];
  reactions: readonly PendingReaction[];
  value: ClientMessage[];
}
const messagesCache = new Map<string, MessagesMemo>();

/**
 * A channel's messages as the UI shows them: confirmed ones by seq with their delivery status,
 * then the outbox's pending ones (deduplicated by client_msg_id), with pending reactions applied.
 *
 * @example
 * const messages = selectMessages(client.store.getSnapshot(), 'messaging:general');
 */
export function selectMessages(snapshot: ClientSnapshot, cid: string): ClientMessage[] {
  const channel = snapshot.channels[cid];
  const memo = messagesCache.get(cid);
  if (memo && memo.channel === channel && memo.outbox === snapshot.outbox && memo.reactions === snapshot.pendingReactions) return memo.value;
  const me = snapshot.userId;
  const confirmed = channel?.messages ?? [];
  const known = new Set(confirmed.map((m) => m.client_msg_id).filter(Boolean));
  const reactions = snapshot.pendingReactions.filter((r) => r.cid === cid);
  const value: ClientMessage[] = confirmed.map((m) => withReactions({ ...m, status: statusOf(m, channel!, me), pending: false }, reactions, me));
  for (const item of snapshot.outbox) {
    if (item.cid !== cid || known.has(item.client_msg_id)) continue;
    if (item.body.parent_id && !item.body.show_in_channel) continue;
    value.push(pendingMessage(item, snapshot));
  }
  messagesCache.set(cid, { channel, outbox: snapshot.outbox, reactions: snapshot.pendingReactions, value });
  if (messagesCache.size > 200) messagesCache.delete(messagesCache.keys().next().value!);
  return value;
}

/**
 * The delivery status of a confirmed message, from the other members' read pointers.
 *
 * @example
 * statusOf(message, channelState, 'alice'); // 'read'
 */
export function statusOf(message: Message, channel: ChannelState, me: string | null): MessageStatus {
  if (message.user?.id !== me) return 'received';
  let status: MessageStatus = 'sent';
  for (const read of channel.read) {
    if (read.user_id === me) continue;
    if (read.last_read_seq >= message.seq) return 'read';
    if (read.last_delivered_seq >= message.seq) status = 'delivered';
  }
  return status;
}

function pendingMessage(item: OutboxItem, snapshot: ClientSnapshot): ClientMessage {
  const user = snapshot.me ? { id: snapshot.me.id, name: snapshot.me.name, image: snapshot.me.image } : { id: item.user_id, name: null, image: null };
  return {
    id: item.client_msg_id,
    cid: item.cid,
    seq: 0,
    user,
    text: item.body.text ?? '',
    html: '',
    type: item.body.parent_id ? 'reply' : 'regular',
    attachments: item.body.attachments ?? [],
    parent_id: item.body.parent_id ?? null,
    show_in_channel: item.body.show_in_channel ?? false,
    reply_count: 0,
    thread_participants: [],
    last_reply_at: null,
    quoted_message_id: item.body.quoted_message_id ?? null,
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
    silent: item.body.silent ?? false,
    edited_at: null,
    deleted_at: null,
    client_msg_id: item.client_msg_id,
    created_at: item.created_at,
    updated_at: item.created_at,
    custom: item.body.custom ?? {},
    status: item.status,
    pending: true,
  };
}

/** Applies reactions the server has not confirmed yet to a message's counts and own reactions. */
function withReactions(message: ClientMessage, pending: PendingReaction[], me: string | null): ClientMessage {
  const mine = pending.filter((r) => r.message_id === message.id);
  if (mine.length === 0 || !me) return message;
  let own = message.own_reactions;
  const counts = { ...message.reaction_counts };
  const scores = { ...message.reaction_scores };
  for (const change of mine) {
    const had = own.find((r) => r.type === change.type);
    if (change.op === 'add') {
      if (change.enforce_unique) {
        for (const other of own.filter((r) => r.type !== change.type)) {
          counts[other.type] = Math.max(0, (counts[other.type] ?? 0) - 1);
          scores[other.type] = Math.max(0, (scores[other.type] ?? 0) - other.score);
        }
        own = own.filter((r) => r.type === change.type);
      }
      if (!had) counts[change.type] = (counts[change.type] ?? 0) + 1;
      scores[change.type] = (scores[change.type] ?? 0) - (had?.score ?? 0) + change.score;
      const now = new Date(0).toISOString();
      const reaction: Reaction = { message_id: message.id, user_id: me, user: { id: me, name: null, image: null }, type: change.type, score: change.score, created_at: had?.created_at ?? now, updated_at: now };
      own = [...own.filter((r) => r.type !== change.type), reaction];
    } else if (had) {
      counts[change.type] = Math.max(0, (counts[change.type] ?? 0) - 1);
      scores[change.type] = Math.max(0, (scores[change.type] ?? 0) - had.score);
      own = own.filter((r) => r.type !== change.type);
    }
  }
  for (const key of Object.keys(counts)) if (counts[key] === 0) delete counts[key];
  for (const key of Object.keys(scores)) if (scores[key] === 0) delete scores[key];
  return { ...message, own_reactions: own, reaction_counts: counts, reaction_scores: scores };
}

/**
 * Unread totals over the channels in the store (what a badge shows).
 *
 * @example
 * const { total, channels, mentions } = selectUnread(snapshot);
 */
export function selectUnread(snapshot: ClientSnapshot): { total: number; channels: number; mentions: number } {
  let total = 0;
  let channels = 0;
  let mentions = 0;
  for (const state of Object.values(snapshot.channels)) {
    total += state.unread_count;
    mentions += state.unread_mentions;
    if (state.unread_count > 0) channels++;
  }
  return { total, channels, mentions };
}

/**
 * Who is typing in a channel (optionally: in one thread), excluding you.
 *
 * @example
 * const typing = selectTyping(snapshot, cid).map((t) => t.user.name);
 */
export function selectTyping(snapshot: ClientSnapshot, cid: string, parentId: string | null = null): TypingEntry[] {
  return Object.values(snapshot.typing[cid] ?? {}).filter((entry) => entry.parent_id === parentId);
}

/**
 * Whether a user is seen online (a live connection in a channel you watch).
 *
 * @example
 * selectOnline(snapshot, 'bob'); // true
 */
export function selectOnline(snapshot: ClientSnapshot, userId: string): boolean {
  return (snapshot.presence[userId] ?? 0) > 0;
}

/**
 * The draft of a channel or thread.
 *
 * @example
 * const text = selectDraft(snapshot, cid)?.text ?? '';
 */
export function selectDraft(snapshot: ClientSnapshot, cid: string, parentId: string | null = null): Draft | undefined {
  return snapshot.drafts[draftKey(cid, parentId)];
}

/**
 * The key of a draft in `snapshot.drafts`.
 *
 * @example
 * draftKey('messaging:general', null); // 'messaging:general'
 */
export function draftKey(cid: string, parentId: string | null = null): string {
  return parentId ? `${cid}/${parentId}` : cid;
}
