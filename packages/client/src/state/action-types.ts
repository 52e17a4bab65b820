/**
 * Changes to existing messages (reactions, edits, deletes) waiting for the server. They live in
 * `snapshot.pendingActions`, are persisted like the outbox, and the selectors show them applied.
 */
import type { UpdateMessageBody } from '@parley/protocol';

/**
 * What every pending action has.
 *
 * @example
 * const mine = snapshot.pendingActions.filter((a: PendingActionBase) => a.message_id === id);
 */
export interface PendingActionBase {
  /** Local id of the action. */
  id: string;
  /** The channel, when the message was in the store ('' otherwise). */
  cid: string;
  /** The message's id, or the client_msg_id of a send still in the outbox (`target`). */
  message_id: string;
  /** `client_msg_id`: the message was not sent yet when the action was made; resolved once it is. */
  target: 'id' | 'client_msg_id';
  user_id: string;
  /** Server-answered transient failures so far (network errors do not count). */
  attempts: number;
  /** Set before the first attempt: a later attempt may repeat one that reached the server. */
  tried: boolean;
  /** Client clock, for display only. */
  created_at: string;
}

/**
 * Add (`op: 'add'`) or remove one of your reactions. Idempotent by type on the server.
 *
 * @example
 * const liking = snapshot.pendingActions.some((a) => a.kind === 'reaction' && a.op === 'add' && a.type === 'like');
 */
export interface PendingReaction extends PendingActionBase {
  kind: 'reaction';
  op: 'add' | 'remove';
  type: string;
  score: number;
  enforce_unique: boolean;
}

/**
 * An edit: carries the final text (two queued edits of a message merge into one).
 *
 * @example
 * const editing = snapshot.pendingActions.find((a): a is PendingEdit => a.kind === 'edit' && a.message_id === id);
 */
export interface PendingEdit extends PendingActionBase {
  kind: 'edit';
  body: UpdateMessageBody;
}

/**
 * A delete (soft, or `hard` for moderators). Deleting a message that is already gone is a success.
 *
 * @example
 * const deleting = snapshot.pendingActions.some((a) => a.kind === 'delete' && a.message_id === id);
 */
export interface PendingDelete extends PendingActionBase {
  kind: 'delete';
  hard: boolean;
}

/**
 * Any queued change to a message.
 *
 * @example
 * for (const action of snapshot.pendingActions) console.log(action.kind, action.message_id);
 */
export type PendingAction = PendingReaction | PendingEdit | PendingDelete;
