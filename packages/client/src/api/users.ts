/** Users, the signed-in user (`me`), blocks and tokens. */
import type { CreateTokenBody, DeleteUserQuery, MeResponse, QueryUsersQuery, UpdateUserBody, UserInput } from '@parley/protocol';
import type { Transport } from './http.js';
import type { CursorPage, Message, UnreadResult, User } from './types.js';

const userPath = (id: string) => `/v1/users/${encodeURIComponent(id)}`;

/**
 * Filter and sort of {@link UsersApi.query}: objects, sent as JSON.
 *
 * @example
 * await client.users.query({ filter: { name: { $autocomplete: 'al' } }, sort: [{ field: 'name', direction: 1 }], limit: 10 });
 */
export interface QueryUsersOptions extends Omit<QueryUsersQuery, 'filter' | 'sort'> {
  filter?: Record<string, unknown>;
  sort?: Array<{ field: string; direction: 1 | -1 }> | string;
}

/**
 * `client.users`.
 *
 * @example
 * const { users } = await client.users.query({ filter: { name: { $autocomplete: 'al' } }, limit: 10 });
 */
export class UsersApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/users` (server token): create or update up to 100 users.
   *
   * @example
   * await admin.users.upsert([{ id: 'alice', name: 'Alice' }]);
   */
  async upsert(users: UserInput[]): Promise<User[]> {
    return (await this.http.request<{ users: User[] }>('POST', '/v1/users', { body: { users } })).users;
  }

  /**
   * `GET /v1/users`: filter, sort, cursor.
   *
   * @example
   * const { users, next } = await client.users.query({ filter: { role: 'coach' }, sort: '-created_at' });
   */
  query(options: QueryUsersOptions = {}): Promise<{ users: User[]; next: string | null }> {
    const { filter, sort, ...rest } = options;
    return this.http.request('GET', '/v1/users', { query: { ...rest, filter, sort } });
  }

  /**
   * `GET /v1/users/{id}`.
   *
   * @example
   * const bob = await client.users.get('bob');
   */
  async get(id: string): Promise<User> {
    return (await this.http.request<{ user: User }>('GET', userPath(id))).user;
  }

  /**
   * `PATCH /v1/users/{id}` (self: name, image, custom; server: role too).
   *
   * @example
   * await client.users.update(client.userId!, { name: 'Alice L.' });
   */
  async update(id: string, body: UpdateUserBody): Promise<User> {
    return (await this.http.request<{ user: User }>('PATCH', userPath(id), { body })).user;
  }

  /**
   * `POST /v1/users/{id}/deactivate`.
   *
   * @example
   * await admin.users.deactivate('mallory');
   */
  async deactivate(id: string): Promise<User> {
    return (await this.http.request<{ user: User }>('POST', `${userPath(id)}/deactivate`)).user;
  }

  /**
   * `POST /v1/users/{id}/reactivate`.
   *
   * @example
   * await admin.users.reactivate('mallory');
   */
  async reactivate(id: string): Promise<User> {
    return (await this.http.request<{ user: User }>('POST', `${userPath(id)}/reactivate`)).user;
  }

  /**
   * `DELETE /v1/users/{id}?mode=soft|hard&messages=keep|soft|hard`.
   *
   * @example
   * await admin.users.delete('mallory', { mode: 'hard', messages: 'hard' });
   */
  async delete(id: string, query: DeleteUserQuery = {}): Promise<User | null> {
    return (await this.http.request<{ user: User | null }>('DELETE', userPath(id), { query: { ...query } })).user;
  }

  /**
   * `POST /v1/tokens` (server token): mint a user token signed with the calling key.
   *
   * @example
   * const { token } = await admin.users.createToken({ user_id: 'alice', expires_in: 3600 });
   */
  createToken(body: CreateTokenBody): Promise<{ token: string; expires_at: string | null }> {
    return this.http.request('POST', '/v1/tokens', { body });
  }
}

/**
 * `client.me`: the signed-in user's own views.
 *
 * @example
 * const { user, total_unread_count } = await client.me.get();
 */
export class MeApi {
  constructor(private readonly http: Transport) {}

  /**
   * `GET /v1/me`: own user, unread totals, mutes, blocks, devices.
   *
   * @example
   * const me = await client.me.get();
   */
  get(): Promise<MeResponse> {
    return this.http.request('GET', '/v1/me');
  }

  /**
   * `GET /v1/me/unread`: totals and per channel.
   *
   * @example
   * const { total_unread_count, channels } = await client.me.unread();
   */
  unread(): Promise<UnreadResult> {
    return this.http.request('GET', '/v1/me/unread');
  }

  /**
   * `GET /v1/me/mentions`: messages that mention you, newest first.
   *
   * @example
   * const { messages } = await client.me.mentions({ limit: 20 });
   */
  mentions(page: CursorPage = {}): Promise<{ messages: Message[]; next: string | null }> {
    return this.http.request('GET', '/v1/me/mentions', { query: { ...page } });
  }

  /**
   * `GET /v1/me/starred` (same as `client.stars.list`).
   *
   * @example
   * const { messages } = await client.me.starred();
   */
  starred(page: CursorPage = {}): Promise<{ messages: Message[]; next: string | null }> {
    return this.http.request('GET', '/v1/me/starred', { query: { ...page } });
  }
}

/**
 * `client.blocks`: no messages between you and a blocked user in distinct (DM) channels.
 *
 * @example
 * await client.blocks.block('spammer');
 */
export class BlocksApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/me/blocks/{user_id}`.
   *
   * @example
   * const { blocks } = await client.blocks.block('spammer');
   */
  block(userId: string): Promise<{ blocks: Array<{ user_id: string; created_at: string }> }> {
    return this.http.request('POST', `/v1/me/blocks/${encodeURIComponent(userId)}`);
  }

  /**
   * `DELETE /v1/me/blocks/{user_id}`.
   *
   * @example
   * await client.blocks.unblock('spammer');
   */
  unblock(userId: string): Promise<{ blocks: Array<{ user_id: string; created_at: string }> }> {
    return this.http.request('DELETE', `/v1/me/blocks/${encodeURIComponent(userId)}`);
  }
}
