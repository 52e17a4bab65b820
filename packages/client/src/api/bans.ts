/** Channel bans (moderation): hard and shadow, with an optional timeout. */
import type { Ban, BanBody, BanListQuery } from '@parley/protocol';
import { channelPath, type Transport } from './http.js';

/**
 * `client.bans`: ban, list and lift bans in a channel (needs `ban_user` there: moderators,
 * owners, app admins, server tokens). See docs/subsystems/moderation.md.
 *
 * @example
 * await client.bans.ban('team:general', { user_id: 'troll', reason: 'spam', timeout: 3600 });
 * await client.bans.ban('team:general', { user_id: 'lurker', shadow: true }); // they notice nothing
 */
export class BansApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/channels/{type}/{id}/bans`: a hard ban removes the user and keeps them out; a
   * shadow ban (`shadow: true`) keeps them in and shows what they send to them alone.
   *
   * @example
   * const ban = await client.bans.ban('team:general', { user_id: 'troll', timeout: 600 });
   * ban.expires_at; // ten minutes from now
   */
  async ban(cid: string, body: BanBody): Promise<Ban> {
    return (await this.http.request<{ ban: Ban }>('POST', `${channelPath(cid)}/bans`, { body })).ban;
  }

  /**
   * `GET /v1/channels/{type}/{id}/bans`: bans in force, by user id, paged with `next`.
   *
   * @example
   * const { bans, next } = await client.bans.list('team:general', { limit: 50 });
   */
  list(cid: string, query: BanListQuery = {}): Promise<{ bans: Ban[]; next: string | null }> {
    return this.http.request('GET', `${channelPath(cid)}/bans`, { query: { ...query } });
  }

  /**
   * `DELETE /v1/channels/{type}/{id}/bans/{user_id}`: lifts a ban (the user is not added back).
   *
   * @example
   * await client.bans.unban('team:general', 'troll');
   */
  async unban(cid: string, userId: string): Promise<Ban> {
    return (await this.http.request<{ ban: Ban }>('DELETE', `${channelPath(cid)}/bans/${encodeURIComponent(userId)}`)).ban;
  }
}
