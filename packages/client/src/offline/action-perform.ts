/**
 * The parts of the action queue that decide things: which message an action targets, how queued
 * changes of one message collapse, and one attempt against the server (made safe to repeat).
 */
import type { Message, ReactionBody, UpdateMessageBody, WireEvent } from '@parley/protocol';
import { isParleyError } from '../errors.js';
import type { ReactionResult } from '../api/types.js';
import type { PendingAction } from '../state/action-types.js';
import { findMessage } from '../state/apply-event.js';
import type { ClientSnapshot } from '../state/types.js';

/**
 * The REST calls the queue needs (`client.reactions` and `client.messages` provide them).
 *
 * @example
 * const api: ActionApi = { addReaction: (id, b) => client.reactions.add(id, b), removeReaction: (id, t) => client.reactions.remove(id, t), update: (id, b) => client.messages.update(id, b), delete: (id, o) => client.messages.delete(id, o), get: (id) => client.messages.get(id) };
 */
export interface ActionApi {
  addReaction(messageId: string, body: ReactionBody): Promise<ReactionResult>;
  removeReaction(messageId: string, type: string): Promise<ReactionResult>;
  update(messageId: string, body: UpdateMessageBody): Promise<Message>;
  delete(messageId: string, options: { hard?: boolean }): Promise<Message>;
  get(messageId: string): Promise<Message>;
}

/**
 * The server id an action goes to: its own, the id of the sent message it was made on, `'wait'`
 * while that send is in the outbox, or null when that send is gone (cancelled).
 *
 * @example
 * resolveTarget(snapshot, action); // '0190…' | 'wait' | null
 */
export function resolveTarget(snapshot: ClientSnapshot, action: PendingAction): string | 'wait' | null {
  if (action.target === 'id') return action.message_id;
  for (const channel of Object.values(snapshot.channels)) {
    const found = channel.messages.find((m) => m.client_msg_id === action.message_id && m.user?.id === action.user_id);
    if (found) return found.id;
  }
  for (const thread of Object.values(snapshot.threads)) {
    const found = thread.replies.find((m) => m.client_msg_id === action.message_id && m.user?.id === action.user_id);
    if (found) return found.id;
  }
  return snapshot.outbox.some((item) => item.client_msg_id === action.message_id) ? 'wait' : null;
}

/**
 * Adds `action` to the queue, collapsing it with queued (not in flight) changes of the same
 * message: a later edit replaces an earlier one (fields merged), a delete replaces every earlier
 * change, a reaction op replaces an earlier op of the same type. Returns what was replaced.
 *
 * @example
 * const { actions, superseded } = collapse(snapshot.pendingActions, edit, inFlightId);
 */
export function collapse(queue: readonly PendingAction[], action: PendingAction, inFlight: string | undefined): { actions: PendingAction[]; superseded: PendingAction[] } {
  const superseded: PendingAction[] = [];
  const kept = queue.filter((old) => {
    if (old.id === inFlight || old.message_id !== action.message_id) return true;
    const replaced = action.kind === 'delete' || (action.kind === 'edit' && old.kind === 'edit') || (action.kind === 'reaction' && old.kind === 'reaction' && old.type === action.type);
    if (replaced) superseded.push(old);
    return !replaced;
  });
  let next = action;
  if (next.kind === 'edit') {
    // Edits carry the final content: earlier queued fields stay unless this edit sets them.
    for (const old of superseded) if (old.kind === 'edit') next = { ...next, body: { ...old.body, ...next.body }, tried: next.tried || old.tried };
  }
  return { actions: [...kept, next], superseded };
}

/**
 * One attempt of `action` on message `messageId`. `repeated`: an earlier attempt may have reached
 * the server, so an edit first checks whether the message already has the new content. Returns the
 * message as the server has it now (null when it is gone) and the event to apply it with.
 *
 * @example
 * const { message, event } = await perform(api, action, messageId, false, 'alice');
 */
export async function perform(api: ActionApi, action: PendingAction, messageId: string, repeated: boolean, me: WireEvent['user']): Promise<{ message: Message | null; event: (WireEvent & { message: Message }) | null }> {
  const wrap = (type: string, message: Message | null, extra: Partial<WireEvent> = {}) => ({ message, event: message ? { type, cid: message.cid, message, user: me, ...extra } : null });
  if (action.kind === 'reaction') {
    try {
      const result = action.op === 'add' ? await api.addReaction(messageId, { type: action.type, score: action.score, enforce_unique: action.enforce_unique || undefined }) : await api.removeReaction(messageId, action.type);
      return wrap(action.op === 'add' ? 'reaction.new' : 'reaction.deleted', result.message, { user_reactions: result.message.own_reactions });
    } catch (error) {
      // Removing a reaction that is not there (an earlier attempt removed it): done.
      if (action.op !== 'remove' || !isParleyError(error, 'NOT_FOUND')) throw error;
      const message = await getOrNull(api, messageId);
      return wrap('reaction.deleted', message, { user_reactions: message?.own_reactions ?? [] });
    }
  }
  if (action.kind === 'delete') {
    try {
      return wrap('message.deleted', await api.delete(messageId, { hard: action.hard || undefined }), { hard_delete: action.hard });
    } catch (error) {
      if (isParleyError(error, 'NOT_FOUND')) return { message: null, event: null };
      throw error;
    }
  }
  if (repeated) {
    const current = await api.get(messageId);
    if (sameContent(current, action.body)) return wrap('message.updated', current);
  }
  return wrap('message.updated', await api.update(messageId, action.body));
}

async function getOrNull(api: ActionApi, id: string): Promise<Message | null> {
  try {
    return await api.get(id);
  } catch (error) {
    if (isParleyError(error, 'NOT_FOUND')) return null;
    throw error;
  }
}

/** Whether a message already carries an edit's content (JSON comparison of the fields it sets). */
function sameContent(message: Message, body: UpdateMessageBody): boolean {
  return (Object.keys(body) as Array<keyof UpdateMessageBody>).every((key) => body[key] === undefined || JSON.stringify(message[key]) === JSON.stringify(body[key]));
}

/**
 * The change an action makes (what `client.react` / `editMessage` / `deleteMessage` pass).
 *
 * @example
 * const change: ActionChange = { kind: 'edit', body: { text: 'fixed' } };
 */
export type ActionChange =
  | Pick<PendingAction & { kind: 'reaction' }, 'kind' | 'op' | 'type' | 'score' | 'enforce_unique'>
  | Pick<PendingAction & { kind: 'edit' }, 'kind' | 'body'>
  | Pick<PendingAction & { kind: 'delete' }, 'kind' | 'hard'>;

/**
 * A new action on `messageId`: a server id, or the id a pending (outbox) message is shown with.
 *
 * @example
 * const action = newAction(snapshot, message.id, { kind: 'delete', hard: false }, 'a-1');
 */
export function newAction(snapshot: ClientSnapshot, messageId: string, change: ActionChange, id: string): PendingAction {
  const me = snapshot.userId ?? '';
  const confirmed = findMessage(snapshot, messageId);
  const sent = confirmed ? undefined : findOwnByClientId(snapshot, messageId, me);
  const queued = snapshot.outbox.find((item) => item.client_msg_id === messageId);
  const base = {
    id,
    cid: confirmed?.cid ?? sent?.cid ?? queued?.cid ?? '',
    // A message shown from the outbox is addressed by its client_msg_id until the server has it.
    message_id: sent?.id ?? messageId,
    target: !confirmed && !sent && queued ? ('client_msg_id' as const) : ('id' as const),
    user_id: me,
    attempts: 0,
    tried: false,
    created_at: new Date().toISOString(),
  };
  return { ...base, ...change } as PendingAction;
}

function findOwnByClientId(snapshot: ClientSnapshot, clientMsgId: string, me: string): Message | undefined {
  for (const channel of Object.values(snapshot.channels)) {
    const found = channel.messages.find((m) => m.client_msg_id === clientMsgId && m.user?.id === me);
    if (found) return found;
  }
  return undefined;
}
