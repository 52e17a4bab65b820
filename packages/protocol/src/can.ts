import type { Grants } from './channel-types.js';
import { BUILTIN_APP_ROLES, BUILTIN_MEMBER_ROLES, type Permission } from './permissions.js';

/** Who is acting: a server token, or a user with an app role and (maybe) a membership in the channel. */
export interface Actor {
  /** Server tokens act with app-wide admin rights. */
  server?: boolean;
  /** The user's app role: `admin`, `user`, `guest` or a custom role such as `coach`. */
  appRole: string;
  /** The user's role in this channel (`owner`, `moderator`, `member`, or custom such as `captain`); absent when not a member. */
  memberRole?: string | null;
  /** A banned member keeps only the right to read. */
  banned?: boolean;
}

/** What `can` needs to know about the channel: its type's effective grants. */
export interface ChannelAccess {
  grants: Grants;
}

const APP_ROLE_NAMES = new Set<string>(BUILTIN_APP_ROLES);
const MEMBER_ROLE_NAMES = new Set<string>(BUILTIN_MEMBER_ROLES);

/**
 * The member roles a role implies. An owner is also a moderator and a member; a moderator is
 * also a member; a custom member role (e.g. `captain`) is also a member. A member role spelled like
 * a built-in app role (`admin`, `user`, `guest`) is a plain member: it must not pick up that app
 * role's grants (a channel owner could otherwise make anyone an app admin inside the channel).
 */
export function impliedMemberRoles(memberRole: string): string[] {
  if (APP_ROLE_NAMES.has(memberRole)) return ['member'];
  switch (memberRole) {
    case 'owner':
      return ['owner', 'moderator', 'member'];
    case 'moderator':
      return ['moderator', 'member'];
    case 'member':
      return ['member'];
    default:
      return [memberRole, 'member'];
  }
}

/**
 * Every role whose grants apply to the actor, most specific first. An app role spelled like a
 * channel member role (`owner`, `moderator`, `member`) adds nothing: membership comes from the
 * channel, never from the app role.
 */
export function effectiveRoles(actor: Actor): string[] {
  const roles = actor.memberRole ? impliedMemberRoles(actor.memberRole) : [];
  if (!MEMBER_ROLE_NAMES.has(actor.appRole) && !roles.includes(actor.appRole)) roles.push(actor.appRole);
  return roles;
}

const READ_ONLY_WHEN_BANNED = new Set<Permission>(['read_channel', 'leave_channel']);

/**
 * Whether the actor holds `permission` in a channel whose type grants `channel.grants`.
 * Pure: no I/O, usable in the server, the SDK (to hide buttons) and tests.
 *
 * @example
 * can({ appRole: 'user', memberRole: 'member' }, 'send_message', resolveChannelType('announcement')) // false
 */
export function can(actor: Actor, permission: Permission, channel: ChannelAccess): boolean {
  if (actor.server) return true;
  if (actor.banned && !READ_ONLY_WHEN_BANNED.has(permission)) return false;
  for (const role of effectiveRoles(actor)) {
    // Own keys only: a role named `constructor` must not find Object.prototype's.
    if (!Object.prototype.hasOwnProperty.call(channel.grants, role)) continue;
    const granted = channel.grants[role];
    if (Array.isArray(granted) && (granted.includes('*') || granted.includes(permission))) return true;
  }
  return false;
}
