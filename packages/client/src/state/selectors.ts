/**
 * Selectors: derived views of a snapshot, memoized so that the same inputs give the same object
 * (what `useSyncExternalStore` selectors need to avoid re-rendering).
 */
import type { ChannelState } from '@parley/protocol';
import type { PendingAction } from './action-types.js';
import { decorate, pendingMessage } from './decorate.js';
import type { ClientMessage, ClientSnapshot, Draft, OutboxItem, TypingEntry } from './types.js';

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
  actions: readonly PendingAction[];
  me: ClientSnapshot['me'];
  value: ClientMessage[];
}
const messagesCache = new Map<string, MessagesMemo>();

/**
 * A channel's messages as the UI shows them: confirmed ones by seq with their delivery status,
 * then the outbox's pending ones (deduplicated by client_msg_id; thread replies only when
 * `show_in_channel`), with your pending reactions, edits and deletes applied.
 *
 * @example
 * const messages = selectMessages(client.store.getSnapshot(), 'messaging:general');
 */
export function selectMessages(snapshot: ClientSnapshot, cid: string): ClientMessage[] {
  const channel = snapshot.channels[cid];
  const memo = messagesCache.get(cid);
  if (memo && memo.channel === channel && memo.outbox === snapshot.outbox && memo.actions === snapshot.pendingActions && memo.me === snapshot.me) return memo.value;
  const me = snapshot.userId;
  const confirmed = channel?.messages ?? [];
  const known = new Set(confirmed.map((m) => m.client_msg_id).filter(Boolean));
  const value: ClientMessage[] = confirmed.map((m) => decorate(m, channel, snapshot.pendingActions, me));
  for (const item of snapshot.outbox) {
    if (item.cid !== cid || known.has(item.client_msg_id)) continue;
    if (item.body.parent_id && !item.body.show_in_channel) continue;
    value.push(pendingMessage(item, snapshot));
  }
  messagesCache.set(cid, { channel, outbox: snapshot.outbox, actions: snapshot.pendingActions, me: snapshot.me, value });
  if (messagesCache.size > 200) messagesCache.delete(messagesCache.keys().next().value!);
  return value;
}

/**
 * Whether more channels than the store holds match the channel query (`client.loadMoreChannels()`).
 *
 * @example
 * if (selectHasMoreChannels(snapshot)) showLoadMoreButton();
 */
export function selectHasMoreChannels(snapshot: ClientSnapshot): boolean {
  return snapshot.channelsNext !== null;
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
