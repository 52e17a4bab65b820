/**
 * Reactions shown before the server confirms them: a pending entry in the store (the selectors
 * apply it to the message), dropped when the server answers. On success the answer's message
 * goes through the reducer as a reaction event; on failure dropping the entry is the revert.
 */
import { applyChannelEvent, type Message } from '@parley/protocol';
import type { ReactionsApi } from '../api/reactions.js';
import type { ReactionResult } from '../api/types.js';
import type { Store } from '../state/store.js';
import type { PendingReaction } from '../state/types.js';

let counter = 0;

/**
 * Adds (`op: 'add'`) or removes a reaction optimistically; rejects with the server's error after
 * reverting.
 *
 * @example
 * await reactOptimistically(store, client.reactions, { message_id: id, type: 'like', op: 'add', score: 1, enforce_unique: false });
 */
export async function reactOptimistically(store: Store, api: ReactionsApi, change: Omit<PendingReaction, 'id' | 'cid'>): Promise<Message> {
  const cid = findCid(store, change.message_id);
  const pending: PendingReaction = { ...change, id: ++counter, cid: cid ?? '' };
  store.update((s) => ({ ...s, pendingReactions: [...s.pendingReactions, pending] }));
  let result: ReactionResult;
  try {
    result = change.op === 'add' ? await api.add(change.message_id, { type: change.type, score: change.score, enforce_unique: change.enforce_unique || undefined }) : await api.remove(change.message_id, change.type);
  } finally {
    store.update((s) => ({ ...s, pendingReactions: s.pendingReactions.filter((r) => r.id !== pending.id) }));
  }
  const message = result.message;
  store.update((s) => {
    const channel = s.channels[message.cid];
    if (!channel || !s.userId) return s;
    const me = { id: s.userId, name: s.me?.name ?? null, image: s.me?.image ?? null };
    const next = applyChannelEvent(channel, { type: change.op === 'add' ? 'reaction.new' : 'reaction.deleted', cid: message.cid, message, user: me, user_reactions: message.own_reactions }, s.userId);
    return next === channel ? s : { ...s, channels: { ...s.channels, [message.cid]: next } };
  });
  return message;
}

function findCid(store: Store, messageId: string): string | undefined {
  for (const [cid, channel] of Object.entries(store.getSnapshot().channels)) if (channel.messages.some((m) => m.id === messageId)) return cid;
  return undefined;
}
