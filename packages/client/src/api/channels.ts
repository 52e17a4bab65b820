/** Channels: get-or-create, query, state, update, delete, truncate, own membership flags, typing. */
import type { CreateChannelBody, GetChannelQuery, QueryChannelsBody, TypingBody, UpdateChannelBody, UpdateMembershipBody } from '@parley/protocol';
import { channelPath, type Transport } from './http.js';
import type { Channel, ChannelState, Membership, QueryChannelsResult } from './types.js';

/**
 * `client.channels`: every channel endpoint. Channels are addressed by cid (`type:id`).
 *
 * @example
 * const state = await client.channels.getOrCreate({ type: 'messaging', members: ['alice', 'bob'] });
 * const { channels } = await client.channels.query({ filter: { members: { $in: ['alice'] } }, sort: [{ field: 'last_message_at', direction: -1 }] });
 */
export class ChannelsApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/channels`: get or create. Without `id` and with `members`, the channel is distinct
   * (the same member set always yields the same channel).
   *
   * @example
   * const dm = await client.channels.getOrCreate({ type: 'messaging', members: ['alice', 'bob'] });
   * const team = await client.channels.getOrCreate({ type: 'team', id: 'general', name: 'General' });
   */
  getOrCreate(body: CreateChannelBody): Promise<ChannelState> {
    return this.http.request('POST', '/v1/channels', { body });
  }

  /**
   * `POST /v1/channels/query`: the caller's channels with their state, filtered, sorted, paged.
   *
   * @example
   * const page = await client.channels.query({ filter: { type: 'messaging' }, sort: [{ field: 'last_message_at', direction: -1 }], limit: 30 });
   * const more = page.next ? await client.channels.query({ cursor: page.next }) : null;
   */
  query(body: QueryChannelsBody = {}): Promise<QueryChannelsResult> {
    return this.http.request('POST', '/v1/channels/query', { body });
  }

  /**
   * `GET /v1/channels/{type}/{id}`: channel state, messages around / before / after a seq.
   *
   * @example
   * const state = await client.channels.get('messaging:general', { message_limit: 50 });
   */
  get(cid: string, query: GetChannelQuery = {}): Promise<ChannelState> {
    return this.http.request('GET', channelPath(cid), { query: { ...query } });
  }

  /**
   * `PATCH /v1/channels/{type}/{id}`: set and unset fields.
   *
   * @example
   * await client.channels.update('team:general', { set: { name: 'General chat' }, unset: ['custom.topic'] });
   */
  async update(cid: string, body: UpdateChannelBody): Promise<Channel> {
    return (await this.http.request<{ channel: Channel }>('PATCH', channelPath(cid), { body })).channel;
  }

  /**
   * `DELETE /v1/channels/{type}/{id}` (soft delete).
   *
   * @example
   * await client.channels.delete('team:old-project');
   */
  async delete(cid: string): Promise<Channel> {
    return (await this.http.request<{ channel: Channel }>('DELETE', channelPath(cid))).channel;
  }

  /**
   * `POST /v1/channels/{type}/{id}/truncate`: removes every message so far from reads.
   *
   * @example
   * await client.channels.truncate('support:ticket-42');
   */
  async truncate(cid: string): Promise<Channel> {
    return (await this.http.request<{ channel: Channel }>('POST', `${channelPath(cid)}/truncate`)).channel;
  }

  /**
   * `PATCH /v1/channels/{type}/{id}/membership`: own flags (starred, archived, hidden, muted_until, notifications).
   *
   * @example
   * await client.channels.updateMembership('messaging:general', { muted_until: '2030-01-01T00:00:00Z' });
   */
  async updateMembership(cid: string, body: UpdateMembershipBody): Promise<Membership> {
    return (await this.http.request<{ membership: Membership }>('PATCH', `${channelPath(cid)}/membership`, { body })).membership;
  }

  /**
   * `POST /v1/channels/{type}/{id}/typing`: typing start / stop (ephemeral). The store's
   * `client.typing` helper throttles this for you.
   *
   * @example
   * await client.channels.typing('messaging:general', { state: 'start' });
   */
  async typing(cid: string, body: TypingBody): Promise<void> {
    await this.http.request('POST', `${channelPath(cid)}/typing`, { body });
  }
}
