/**
 * `ParleyClient`: the chat operations on the store — sends (outbox), reactions, edits and deletes
 * (action queue), reads and page loads. The lifecycle (connect, sync, close) is in
 * client/session.ts, the wiring in client/parts.ts, the REST groups in api-client.ts.
 * Guide: docs/sdk.md.
 */
import type { Message, SendMessageBody, UpdateMessageBody } from '@parley/protocol';
import type { ParleyClientOptions } from './client-options.js';
import { ParleySession } from './client/session.js';
import { ParleyError } from './errors.js';
import { newAction, type ActionChange } from './offline/action-perform.js';
import type { SendHandle } from './offline/outbox.js';
import { applyEvent, prependMessages, upsertChannelState } from './state/apply-event.js';
import { Drafts } from './state/drafts.js';
import { loadMoreChannels } from './sync/channel-pages.js';
import { DeliveryReceipts } from './transport/delivery-receipts.js';
import { TypingSender } from './transport/typing-sender.js';
import { newClientMsgId } from './util/ids.js';

/**
 * The Parley client.
 *
 * @example
 * import { ParleyClient, selectChannelList } from '@parley/client';
 * const client = new ParleyClient({ url: 'https://chat.example.com', tokenProvider: () => getToken(), userId: 'alice' });
 * client.store.subscribe(() => render(selectChannelList(client.store.getSnapshot())));
 * await client.connect();
 * client.send('messaging:general', { text: 'hello' });
 */
export class ParleyClient extends ParleySession {
  /** Typing indicators you send: `keystroke(cid, parentId?)`, `stop(cid, parentId?)`. */
  readonly typing: TypingSender;
  /** Drafts per channel and per thread, persisted: `get`, `set`, `clear`. */
  readonly drafts: Drafts;
  private readonly receipts: DeliveryReceipts | undefined;

  constructor(options: ParleyClientOptions) {
    super(options);
    this.drafts = new Drafts(this.store);
    this.typing = new TypingSender((cid, state, parentId) => this.channels.typing(cid, parentId ? { state, parent_id: parentId } : { state }), this.now);
    if (options.deliveryReceipts !== false) {
      const receipts = new DeliveryReceipts((cid, seq) => this.read.markDelivered(cid, seq), options.deliveryReceipts === true ? {} : options.deliveryReceipts);
      this.store.subscribe(() => receipts.update(this.store.getSnapshot()));
      this.receipts = receipts;
    }
  }

  /**
   * Sends a message through the outbox: shown at once as pending (a reply with `parent_id` in its
   * thread, and in the channel only with `show_in_channel`), persisted, retried with backoff while
   * offline, deduplicated by client_msg_id.
   *
   * @example
   * const handle = client.send('messaging:general', { text: 'hello' });
   * const result = await handle.settled; // { status: 'sent', message } | { status: 'failed', error } | { status: 'cancelled' }
   */
  send(cid: string, body: SendMessageBody): SendHandle {
    this.typing.stop(cid, body.parent_id ?? null);
    return this.outbox.enqueue(cid, body, this.requireUser());
  }

  /**
   * Adds a reaction: shown at once, queued (and persisted) while offline, reverted only if the
   * server refuses it for good (the promise then rejects with its error).
   *
   * @example
   * await client.react(message.id, 'like');
   */
  react(messageId: string, type: string, options: { score?: number; enforce_unique?: boolean } = {}): Promise<Message> {
    return this.act(messageId, { kind: 'reaction', op: 'add', type, score: options.score ?? 1, enforce_unique: options.enforce_unique ?? false }, true);
  }

  /**
   * Removes your reaction: shown at once, queued while offline (removing one already gone is fine).
   *
   * @example
   * await client.unreact(message.id, 'like');
   */
  unreact(messageId: string, type: string): Promise<Message> {
    return this.act(messageId, { kind: 'reaction', op: 'remove', type, score: 0, enforce_unique: false }, true);
  }

  /**
   * Edits a message: the new text shows at once (`syncing: true`), is queued while offline, and
   * is reverted if refused (e.g. `EDIT_WINDOW_EXPIRED`). Edits carry the final content.
   *
   * @example
   * await client.editMessage(message.id, { text: 'fixed the typo' });
   */
  editMessage(messageId: string, body: UpdateMessageBody): Promise<Message> {
    return this.act(messageId, { kind: 'edit', body }, true);
  }

  /**
   * Deletes a message: shown deleted at once, queued while offline; a message already gone counts
   * as deleted (resolves null). A message still in the outbox is simply not sent.
   *
   * @example
   * await client.deleteMessage(message.id);
   */
  deleteMessage(messageId: string, options: { hard?: boolean } = {}): Promise<Message | null> {
    if (this.outbox.cancel(messageId)) return Promise.resolve(null);
    return this.act(messageId, { kind: 'delete', hard: options.hard ?? false }, false);
  }

  /**
   * Marks a channel read (up to the latest, a seq, or a message) and updates the store's counts.
   *
   * @example
   * await client.markRead('messaging:general');
   */
  async markRead(cid: string, at: { seq?: number; message_id?: string } = {}): Promise<void> {
    const result = await this.read.markRead(cid, at);
    this.store.update((s) => applyEvent(s, { type: 'notification.mark_read', cid, last_read_seq: result.read.last_read_seq, unread_count: result.unread_count, unread_mentions: result.unread_mentions }, this.now()));
  }

  /**
   * Loads a channel's state into the store (e.g. opening a channel not in the list).
   *
   * @example
   * await client.loadChannel('livestream:match-1');
   */
  async loadChannel(cid: string, query: { message_limit?: number } = {}): Promise<void> {
    const state = await this.channels.get(cid, { message_limit: query.message_limit ?? 30 });
    this.store.update((s) => upsertChannelState(s, state));
  }

  /**
   * Loads older messages of a channel (scrolling up). Returns whether more exist.
   *
   * @example
   * const more = await client.loadOlder('messaging:general', 50);
   */
  async loadOlder(cid: string, limit = 50): Promise<boolean> {
    const first = this.store.getSnapshot().channels[cid]?.messages[0];
    const page = await this.messages.list(cid, first ? { before_seq: first.seq, limit } : { limit });
    this.store.update((s) => prependMessages(s, cid, page.messages, page.has_more_before));
    return page.has_more_before;
  }

  /**
   * Loads the next page of the channel list (same filter and sort as the first). Returns whether
   * more remain (also `selectHasMoreChannels`). The list stays sorted, each channel once.
   *
   * @example
   * onEndReached = () => client.loadMoreChannels();
   */
  loadMoreChannels(limit?: number): Promise<boolean> {
    return loadMoreChannels(this.engine, this.channels, this.store, limit);
  }

  /**
   * Users connected to a channel right now (the channel type's `presence` must be on).
   *
   * @example
   * const online = await client.presence('team:general');
   */
  async presence(cid: string): Promise<string[]> {
    return this.realtime ? this.realtime.presence(cid) : [];
  }

  protected override onClose(): void {
    this.typing.dispose();
    this.receipts?.dispose();
  }

  /** Queues a change; `needsMessage`: a message that turned out to be gone rejects with NOT_FOUND. */
  private act<M extends boolean>(messageId: string, change: ActionChange, needsMessage: M): Promise<M extends true ? Message : Message | null> {
    this.requireUser();
    const settled = this.actions.enqueue(newAction(this.store.getSnapshot(), messageId, change, newClientMsgId())).then((m) => (m || !needsMessage ? m : notFound()));
    // Fire-and-forget calls must not surface as unhandled rejections; awaiting callers still see them.
    settled.catch(() => undefined);
    return settled as Promise<M extends true ? Message : Message | null>;
  }

  private requireUser(): string {
    const userId = this.userId;
    if (!userId) throw new ParleyError({ code: 'UNAUTHORIZED', status: 401, message: 'connect() first: the user is not known yet' });
    return userId;
  }
}

function notFound(): never {
  throw new ParleyError({ code: 'NOT_FOUND', status: 404, message: 'the message is gone' });
}
