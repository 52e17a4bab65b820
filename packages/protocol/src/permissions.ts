/**
 * Named permissions. A channel type's `grants` maps a role to a list of these.
 * `*` in a grant list means every permission.
 */
export const PERMISSIONS = [
  'create_channel',
  'read_channel',
  'join_channel',
  'leave_channel',
  'update_channel',
  'delete_channel',
  'truncate_channel',
  'freeze_channel',
  'add_members',
  'remove_members',
  'update_member_roles',
  'send_message',
  'send_reply',
  'send_links',
  'send_priority_alert',
  'send_system_message',
  'edit_own_message',
  'edit_any_message',
  'delete_own_message',
  'delete_any_message',
  'pin_message',
  'react',
  'upload_file',
  'mention_channel',
  'ban_user',
  'mute_user',
  'skip_slow_mode',
  'read_receipts',
  'typing',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** Channel member roles with a built-in meaning. Custom member roles (e.g. `captain`) are allowed too. */
export const BUILTIN_MEMBER_ROLES = ['owner', 'moderator', 'member'] as const;

/** App roles every app has. Apps may define custom roles (e.g. `coach`, `player`) in settings `roles`. */
export const BUILTIN_APP_ROLES = ['admin', 'user', 'guest'] as const;

export const ROLE_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
