/**
 * A role name: a channel role (`owner`, `moderator`, `member`) or an app role (`admin`, `user`,
 * `guest`, or a custom one).
 *
 * @example
 * const role: RoleName = 'moderator';
 */
export type RoleName = 'owner' | 'moderator' | 'member' | 'admin' | 'user' | 'guest' | (string & {});
