/** Messages: send (idempotent), history windows, get, edit, delete, versions, replies, reads. */
import type { MessageWindowQuery, SendMessageBody, UpdateMessageBody } from '@parley/protocol';
import { channelPath, type Transport } from './http.js';
import type { Message, MessageHistoryResult, MessagePage, MessageReadsResult } from './types.js';

/**
 * `client.messages`: the raw REST calls. For optimistic, offline-safe sending use
 * `client.send(cid, body)` (the outbox), which calls {@link MessagesApi.send} for you.
 *
 * @example
 * const message = await client.messages.send('messaging:general', { text: 'hello', client_msg_id: 'c-1' });
 * const page = await client.messages.list('messaging:general', { before_seq: message.seq, limit: 50 });
 */
export class MessagesApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/channels/{type}/{id}/messages`. With `client_msg_id` a retry returns the original
   * message (200) instead of a duplicate; the same key with another body is `IDEMPOTENCY_KEY_REUSED`.
   *
   * @example
   * const message = await client.messages.send('messaging:general', { text: 'hi @bob', mentioned_user_ids: ['bob'] });
   */
  async send(cid: string, body: SendMessageBody): Promise<Message> {
    return (await this.http.request<{ message: Message }>('POST', `${channelPath(cid)}/messages`, { body })).message;
  }

  /**
   * `GET /v1/channels/{type}/{id}/messages`: a window by seq, ascending.
   *
   * @example
   * const { messages, has_more_after } = await client.messages.list('messaging:general', { after_seq: 120, limit: 200 });
   */
  list(cid: string, query: MessageWindowQuery = {}): Promise<MessagePage> {
    return this.http.request('GET', `${channelPath(cid)}/messages`, { query: { ...query } });
  }

  /**
   * `GET /v1/messages/{id}`.
   *
   * @example
   * const message = await client.messages.get(id);
   */
  async get(id: string): Promise<Message> {
    return (await this.http.request<{ message: Message }>('GET', `/v1/messages/${encodeURIComponent(id)}`)).message;
  }

  /**
   * `PATCH /v1/messages/{id}`: edit (own, within the type's edit window).
   *
   * @example
   * await client.messages.update(id, { text: 'fixed typo' });
   */
  async update(id: string, body: UpdateMessageBody): Promise<Message> {
    return (await this.http.request<{ message: Message }>('PATCH', `/v1/messages/${encodeURIComponent(id)}`, { body })).message;
  }

  /**
   * `DELETE /v1/messages/{id}`: soft delete (a tombstone), or `hard` for moderators.
   *
   * @example
   * await client.messages.delete(id);
   * await client.messages.delete(spamId, { hard: true });
   */
  async delete(id: string, options: { hard?: boolean } = {}): Promise<Message> {
    return (await this.http.request<{ message: Message }>('DELETE', `/v1/messages/${encodeURIComponent(id)}`, { query: { hard: options.hard || undefined } })).message;
  }

  /**
   * `GET /v1/messages/{id}/history`: earlier versions of an edited message.
   *
   * @example
   * const { history } = await client.messages.history(id);
   */
  history(id: string): Promise<MessageHistoryResult> {
    return this.http.request('GET', `/v1/messages/${encodeURIComponent(id)}/history`);
  }

  /**
   * `GET /v1/messages/{id}/replies`: a thread, same windows as {@link MessagesApi.list}.
   *
   * @example
   * const { messages } = await client.messages.replies(parentId, { limit: 50 });
   */
  replies(id: string, query: MessageWindowQuery = {}): Promise<MessagePage> {
    return this.http.request('GET', `/v1/messages/${encodeURIComponent(id)}/replies`, { query: { ...query } });
  }

  /**
   * `GET /v1/messages/{id}/reads`: who read it, and when.
   *
   * @example
   * const { reads } = await client.messages.reads(id);
   */
  reads(id: string): Promise<MessageReadsResult> {
    return this.http.request('GET', `/v1/messages/${encodeURIComponent(id)}/reads`);
  }
}
