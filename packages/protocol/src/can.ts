import type { Grants } from './channel-types.js';
import type { Permission } from './permissions.js';

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

/**
 * The member roles a role implies. An owner is also a moderator and a member; a moderator is
 * also a member; a custom member role (e.g. `captain`) is also a member.
 */
export function impliedMemberRoles(memberRole: string): string[] {
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

/** Every role whose grants apply to the actor, most specific first. */
export function effectiveRoles(actor: Actor): string[] {
  const roles = actor.memberRole ? impliedMemberRoles(actor.memberRole) : [];
  roles.push(actor.appRole);
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
    const granted = channel.grants[role];
    if (granted && (granted.includes('*') || granted.includes(permission))) return true;
  }
  return false;
}
