/**
 * How a message is shown: its delivery status, an outbox item as a pending message, and your
 * queued changes (reactions, edits, deletes) applied on top of the confirmed version. Shared by
 * the channel and thread selectors.
 */
import type { ChannelState, Message, Reaction } from '@parley/protocol';
import type { PendingAction, PendingReaction } from './action-types.js';
import type { ClientMessage, ClientSnapshot, MessageStatus, OutboxItem } from './types.js';

/**
 * The delivery status of a confirmed message, from the other members' read pointers.
 *
 * @example
 * statusOf(message, channelState, 'alice'); // 'read'
 */
export function statusOf(message: Message, channel: ChannelState | undefined, me: string | null): MessageStatus {
  if (message.user?.id !== me) return 'received';
  let status: MessageStatus = 'sent';
  for (const read of channel?.read ?? []) {
    if (read.user_id === me) continue;
    if (read.last_read_seq >= message.seq) return 'read';
    if (read.last_delivered_seq >= message.seq) status = 'delivered';
  }
  return status;
}

/**
 * A confirmed message as shown: status, plus the pending actions that target it.
 *
 * @example
 * const shown = decorate(message, channel, snapshot.pendingActions, 'alice');
 */
export function decorate(message: Message, channel: ChannelState | undefined, actions: readonly PendingAction[], me: string | null): ClientMessage {
  return withActions({ ...message, status: statusOf(message, channel, me), pending: false, syncing: false }, actions, me);
}

/**
 * An outbox item as a pending message (`id` = its client_msg_id, `seq` 0).
 *
 * @example
 * const shown = pendingMessage(item, snapshot);
 */
export function pendingMessage(item: OutboxItem, snapshot: ClientSnapshot): ClientMessage {
  const user = snapshot.me ? { id: snapshot.me.id, name: snapshot.me.name, image: snapshot.me.image } : { id: item.user_id, name: null, image: null };
  const message: ClientMessage = {
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
    syncing: false,
  };
  return withActions(message, snapshot.pendingActions, snapshot.userId);
}

/** Whether an action targets this message (by id, or by the client_msg_id of your own send). */
function targets(action: PendingAction, message: Message, me: string | null): boolean {
  if (action.message_id === message.id) return true;
  return action.target === 'client_msg_id' && message.client_msg_id === action.message_id && message.user?.id === me;
}

function withActions(message: ClientMessage, actions: readonly PendingAction[], me: string | null): ClientMessage {
  if (actions.length === 0 || !me) return message;
  let shown = message;
  for (const action of actions) {
    if (!targets(action, message, me)) continue;
    if (action.kind === 'reaction') shown = withReaction(shown, action, me);
    else if (action.kind === 'edit') shown = { ...shown, ...action.body, html: action.body.text === undefined ? shown.html : '', edited_at: action.created_at };
    else shown = { ...shown, type: 'deleted', text: '', html: '', attachments: [], deleted_at: shown.deleted_at ?? action.created_at };
    shown = { ...shown, syncing: true };
  }
  return shown;
}

/** One reaction change applied to counts, scores and own reactions (as the server would). */
function withReaction(message: ClientMessage, change: PendingReaction, me: string): ClientMessage {
  let own = message.own_reactions;
  const counts = { ...message.reaction_counts };
  const scores = { ...message.reaction_scores };
  const had = own.find((r) => r.type === change.type);
  if (change.op === 'add') {
    if (change.enforce_unique) {
      for (const other of own.filter((r) => r.type !== change.type)) {
        counts[other.type] = (counts[other.type] ?? 0) - 1;
        scores[other.type] = (scores[other.type] ?? 0) - other.score;
      }
      own = own.filter((r) => r.type === change.type);
    }
    if (!had) counts[change.type] = (counts[change.type] ?? 0) + 1;
    scores[change.type] = (scores[change.type] ?? 0) - (had?.score ?? 0) + change.score;
    const reaction: Reaction = { message_id: message.id, user_id: me, user: { id: me, name: null, image: null }, type: change.type, score: change.score, created_at: had?.created_at ?? change.created_at, updated_at: change.created_at };
    own = [...own.filter((r) => r.type !== change.type), reaction];
  } else if (had) {
    counts[change.type] = (counts[change.type] ?? 0) - 1;
    scores[change.type] = (scores[change.type] ?? 0) - had.score;
    own = own.filter((r) => r.type !== change.type);
  }
  for (const key of Object.keys(counts)) if (counts[key]! <= 0) delete counts[key];
  for (const key of Object.keys(scores)) if (counts[key] === undefined) delete scores[key];
  return { ...message, own_reactions: own, reaction_counts: counts, reaction_scores: scores };
}
