/**
 * access*: load an object for a caller and check they may see it, in one step; the only way
 * actions fetch channels. Invisible and missing look the same (NOT_FOUND).
 */
import { can, type Actor, type ChannelTypeDefinition, type Permission } from '@parley/protocol';
import { findChannelWithMember, type ChannelRow, type MemberRow } from '../db/channels.js';
import { appBanOf } from '../db/users.js';
import type { Queryable } from '../db/pool.js';
import { ApiError, notFound, permissionDenied } from '../errors.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { getChannelType } from './channel-types.js';

export interface ChannelContext {
  appId: string;
  /** The acting user, or null for a server token acting as nobody. */
  userId: string | null;
  server: boolean;
  channel: ChannelRow;
  channelType: ChannelTypeDefinition;
  membership: MemberRow | null;
  actor: Actor;
  /** The caller's ban in force here: 'shadow' (a hard ban never gets this far: 404). Never shown to them. */
  ban: 'shadow' | null;
}

export async function channelTypeOf(services: Services, db: Queryable, appId: string, type: string): Promise<ChannelTypeDefinition> {
  const key = `${appId}/${type}`;
  const cached = services.channelTypes.get(key);
  if (cached) return cached;
  const definition = await getChannelType(db, appId, type);
  services.channelTypes.set(key, definition);
  return definition;
}

export function actorFor(auth: AppAuth, membership: MemberRow | null): Actor {
  return {
    server: auth.kind === 'server' && !auth.user,
    appRole: auth.user?.role ?? 'admin',
    memberRole: membership?.role ?? null,
    // Banned from the whole app (hard): reads only, everywhere.
    banned: (membership?.banned ?? false) || appBanOf(auth.user) === 'hard',
  };
}

/** Loads a channel the caller may read, with the caller's membership, in one round trip. */
export async function accessChannel(services: Services, db: Queryable, auth: AppAuth, type: string, id: string): Promise<ChannelContext> {
  const userId = auth.user?.id ?? null;
  const found = await findChannelWithMember(db, auth.appId, type, id, userId);
  // A hard-banned user sees the channel as gone, whatever the type's grants say (livestreams).
  if (!found || found.ban === 'hard') throw notFound('channel');
  const { channel, membership } = found;
  const channelType = await channelTypeOf(services, db, auth.appId, type);
  const actor = actorFor(auth, membership);
  const ban: ChannelContext['ban'] = found.ban === 'shadow' || appBanOf(auth.user) === 'shadow' ? 'shadow' : null;
  const context = { appId: auth.appId, userId, server: auth.kind === 'server' && !auth.user, channel, channelType, membership, actor, ban };
  if (!membership && !can(actor, 'read_channel', channelType)) throw notFound('channel');
  return context;
}

export function allowed(context: ChannelContext, permission: Permission): boolean {
  return can(context.actor, permission, context.channelType);
}

export function requirePermission(context: ChannelContext, permission: Permission): void {
  if (context.actor.banned && permission !== 'read_channel' && permission !== 'leave_channel') throw new ApiError('USER_BANNED', 'you are banned');
  if (!allowed(context, permission)) throw permissionDenied(`missing permission ${permission}`);
}

/** Writes to a frozen channel need freeze_channel (moderators). */
export function requireNotFrozen(context: ChannelContext): void {
  if (context.channel.frozen && !allowed(context, 'freeze_channel')) throw new ApiError('CHANNEL_FROZEN', 'the channel is frozen');
}

/** The acting user id of a write that needs one (server tokens name it with X-Parley-User). */
export function writerId(context: ChannelContext): string {
  if (!context.userId) throw new ApiError('VALIDATION_ERROR', 'a server token must name the user in X-Parley-User', { field: 'X-Parley-User' });
  return context.userId;
}
