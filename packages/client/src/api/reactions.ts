/** Reactions, pins and stars: the per-message toggles. */
import type { ReactionBody } from '@parley/protocol';
import type { CursorPage, Message, Reaction, ReactionResult } from './types.js';
import type { Transport } from './http.js';

const messagePath = (id: string) => `/v1/messages/${encodeURIComponent(id)}`;

/**
 * `client.reactions`: the raw REST calls. `client.react(...)` applies the change optimistically
 * to the store and reverts it if the server refuses.
 *
 * @example
 * await client.reactions.add(messageId, { type: 'like' });
 * await client.reactions.remove(messageId, 'like');
 */
export class ReactionsApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/messages/{id}/reactions` (`enforce_unique` replaces your other reactions).
   *
   * @example
   * const { message } = await client.reactions.add(messageId, { type: 'star', score: 3 });
   */
  add(messageId: string, body: ReactionBody): Promise<ReactionResult> {
    return this.http.request('POST', `${messagePath(messageId)}/reactions`, { body });
  }

  /**
   * `DELETE /v1/messages/{id}/reactions/{type}`: remove your reaction.
   *
   * @example
   * await client.reactions.remove(messageId, 'like');
   */
  remove(messageId: string, type: string): Promise<ReactionResult> {
    return this.http.request('DELETE', `${messagePath(messageId)}/reactions/${encodeURIComponent(type)}`);
  }

  /**
   * `GET /v1/messages/{id}/reactions`.
   *
   * @example
   * const { reactions, next } = await client.reactions.list(messageId, { limit: 100 });
   */
  list(messageId: string, page: CursorPage = {}): Promise<{ reactions: Reaction[]; next: string | null }> {
    return this.http.request('GET', `${messagePath(messageId)}/reactions`, { query: { ...page } });
  }
}

/**
 * `client.pins`: pin and unpin messages in their channel.
 *
 * @example
 * await client.pins.pin(messageId, { expires_at: '2030-01-01T00:00:00Z' });
 */
export class PinsApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/messages/{id}/pin`.
   *
   * @example
   * await client.pins.pin(messageId);
   */
  async pin(messageId: string, body: { expires_at?: string | null } = {}): Promise<Message> {
    return (await this.http.request<{ message: Message }>('POST', `${messagePath(messageId)}/pin`, { body })).message;
  }

  /**
   * `DELETE /v1/messages/{id}/pin`.
   *
   * @example
   * await client.pins.unpin(messageId);
   */
  async unpin(messageId: string): Promise<Message> {
    return (await this.http.request<{ message: Message }>('DELETE', `${messagePath(messageId)}/pin`)).message;
  }
}

/**
 * `client.stars`: private bookmarks.
 *
 * @example
 * await client.stars.star(messageId);
 * const { messages } = await client.stars.list();
 */
export class StarsApi {
  constructor(private readonly http: Transport) {}

  /**
   * `PUT /v1/messages/{id}/star`.
   *
   * @example
   * await client.stars.star(messageId);
   */
  async star(messageId: string): Promise<Message> {
    return (await this.http.request<{ message: Message }>('PUT', `${messagePath(messageId)}/star`)).message;
  }

  /**
   * `DELETE /v1/messages/{id}/star`.
   *
   * @example
   * await client.stars.unstar(messageId);
   */
  async unstar(messageId: string): Promise<Message> {
    return (await this.http.request<{ message: Message }>('DELETE', `${messagePath(messageId)}/star`)).message;
  }

  /**
   * `GET /v1/me/starred`: your starred messages, newest first.
   *
   * @example
   * const { messages, next } = await client.stars.list({ limit: 50 });
   */
  list(page: CursorPage = {}): Promise<{ messages: Message[]; next: string | null }> {
    return this.http.request('GET', '/v1/me/starred', { query: { ...page } });
  }
}
