/** Channel members: add, remove, change role. */
import type { RoleName } from './roles.js';
import { channelPath, type Transport } from './http.js';
import type { Member } from './types.js';

/**
 * `client.members`.
 *
 * @example
 * await client.members.add('team:general', ['carol', 'dave']);
 * await client.members.remove('team:general', ['dave']);
 */
export class MembersApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/channels/{type}/{id}/members`: add up to 100 members (or join: your own id).
   *
   * @example
   * const { member_count } = await client.members.add('team:general', ['carol'], 'moderator');
   */
  add(cid: string, userIds: string[], role?: RoleName): Promise<{ members: Member[]; member_count: number }> {
    return this.http.request('POST', `${channelPath(cid)}/members`, { body: role ? { user_ids: userIds, role } : { user_ids: userIds } });
  }

  /**
   * `DELETE /v1/channels/{type}/{id}/members`: remove up to 100 members (or leave).
   *
   * @example
   * await client.members.remove('team:general', [client.userId!]); // leave
   */
  remove(cid: string, userIds: string[]): Promise<{ removed: string[]; member_count: number }> {
    return this.http.request('DELETE', `${channelPath(cid)}/members`, { body: { user_ids: userIds } });
  }

  /**
   * `PATCH /v1/channels/{type}/{id}/members/{user_id}`: change a member's role.
   *
   * @example
   * await client.members.updateRole('team:general', 'carol', 'moderator');
   */
  async updateRole(cid: string, userId: string, role: RoleName): Promise<Member> {
    return (await this.http.request<{ member: Member }>('PATCH', `${channelPath(cid)}/members/${encodeURIComponent(userId)}`, { body: { role } })).member;
  }
}
