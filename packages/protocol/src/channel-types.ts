import type { Permission } from './permissions.js';

/** Feature switches and limits of a channel type. */
export interface ChannelTypeConfig {
  typing_events: boolean;
  read_receipts: boolean;
  reactions: boolean;
  replies: boolean;
  quotes: boolean;
  uploads: boolean;
  search: boolean;
  url_enrichment: boolean;
  push_notifications: boolean;
  presence: boolean;
  /** Longest message text in characters. */
  max_message_length: number;
  /** How long after sending its author may edit a message; `null` means no limit. */
  edit_window_seconds: number | null;
  /** Most members a channel of this type may have; `null` means no limit. */
  max_members: number | null;
  /** Fewest members a channel of this type may have (groups of 3–50 in the org-messenger preset). */
  min_members: number | null;
  /** Seconds a member waits between two messages; 0 turns slow mode off. */
  slow_mode_seconds: number;
  /** Typing events are suppressed above this many watchers. */
  typing_watcher_threshold: number;
}

/** role name (member role, app role or custom) → permissions it grants; `*` grants all. */
export type Grants = Record<string, Array<Permission | '*'>>;

export interface ChannelTypeDefinition {
  name: string;
  builtin: boolean;
  config: ChannelTypeConfig;
  grants: Grants;
}

export const DEFAULT_CHANNEL_CONFIG: ChannelTypeConfig = {
  typing_events: true,
  read_receipts: true,
  reactions: true,
  replies: true,
  quotes: true,
  uploads: true,
  search: true,
  url_enrichment: true,
  push_notifications: true,
  presence: true,
  max_message_length: 5000,
  edit_window_seconds: null,
  max_members: 1000,
  min_members: null,
  slow_mode_seconds: 0,
  typing_watcher_threshold: 100,
};

const MEMBER_BASICS: Permission[] = [
  'read_channel',
  'send_message',
  'send_reply',
  'send_links',
  'edit_own_message',
  'delete_own_message',
  'react',
  'upload_file',
  'leave_channel',
  'read_receipts',
  'typing',
];

const MODERATION: Permission[] = [
  'update_channel',
  'add_members',
  'remove_members',
  'delete_any_message',
  'pin_message',
  'freeze_channel',
  'ban_user',
  'mute_user',
  'skip_slow_mode',
  'mention_channel',
  'send_priority_alert',
];

const OWNERSHIP: Permission[] = ['delete_channel', 'truncate_channel', 'update_member_roles'];

/** The five built-in types. Apps override `config` (merged) and `grants` (replaced) with PUT /v1/channel-types/{type}. */
export const BUILTIN_CHANNEL_TYPES: Record<string, Omit<ChannelTypeDefinition, 'name' | 'builtin'>> = {
  /** 1:1 and group DMs: every member may add people and pin; the creator or a moderator renames. */
  messaging: {
    config: { ...DEFAULT_CHANNEL_CONFIG, max_members: 100 },
    grants: {
      admin: ['*'],
      user: ['create_channel'],
      guest: [],
      owner: [...MODERATION, ...OWNERSHIP],
      moderator: MODERATION,
      member: [...MEMBER_BASICS, 'add_members', 'pin_message'],
    },
  },
  /** Team chat: members talk; moderators (coaches, leads) manage. */
  team: {
    config: { ...DEFAULT_CHANNEL_CONFIG, max_members: 5000 },
    grants: {
      admin: ['*'],
      user: ['create_channel'],
      guest: [],
      owner: [...MODERATION, ...OWNERSHIP],
      moderator: MODERATION,
      member: [...MEMBER_BASICS, 'pin_message'],
    },
  },
  /** Broadcast: moderators post, members read and react. */
  announcement: {
    config: { ...DEFAULT_CHANNEL_CONFIG, typing_events: false, replies: false, max_members: null },
    grants: {
      admin: ['*'],
      user: [],
      guest: [],
      owner: [...MEMBER_BASICS, ...MODERATION, ...OWNERSHIP],
      moderator: [...MEMBER_BASICS, ...MODERATION],
      member: ['read_channel', 'react', 'leave_channel', 'read_receipts'],
    },
  },
  /** Large public audiences: anyone in the app may read and join; no receipts or typing. */
  livestream: {
    config: {
      ...DEFAULT_CHANNEL_CONFIG,
      typing_events: false,
      read_receipts: false,
      presence: false,
      push_notifications: false,
      uploads: false,
      max_members: null,
    },
    grants: {
      admin: ['*'],
      user: ['read_channel', 'join_channel'],
      guest: ['read_channel'],
      owner: [...MODERATION, ...OWNERSHIP],
      moderator: MODERATION,
      member: ['read_channel', 'send_message', 'send_reply', 'react', 'leave_channel', 'delete_own_message', 'edit_own_message'],
    },
  },
  /** Customer support: the customer and agents; agents are moderators. */
  support: {
    config: { ...DEFAULT_CHANNEL_CONFIG, max_members: 50 },
    grants: {
      admin: ['*'],
      user: ['create_channel'],
      guest: ['create_channel'],
      owner: MEMBER_BASICS,
      moderator: [...MEMBER_BASICS, ...MODERATION, 'truncate_channel'],
      member: MEMBER_BASICS,
    },
  },
};

export const BUILTIN_CHANNEL_TYPE_NAMES = Object.keys(BUILTIN_CHANNEL_TYPES);

/**
 * The effective definition of a type: built-in defaults (or messaging's for a custom type),
 * with the app's stored config merged over them and its stored grants, when present, replacing them.
 */
export function resolveChannelType(
  name: string,
  stored?: { config?: Partial<ChannelTypeConfig>; grants?: Grants | null } | null,
): ChannelTypeDefinition {
  // Own keys only: a custom type named `constructor` is not Object.prototype's.
  const builtin = Object.prototype.hasOwnProperty.call(BUILTIN_CHANNEL_TYPES, name) ? BUILTIN_CHANNEL_TYPES[name] : undefined;
  const base = builtin ?? BUILTIN_CHANNEL_TYPES.messaging!;
  return {
    name,
    builtin: builtin !== undefined,
    config: { ...base.config, ...(stored?.config ?? {}) },
    grants: stored?.grants ?? base.grants,
  };
}
