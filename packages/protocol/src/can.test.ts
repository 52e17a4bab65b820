import { describe, expect, it } from 'vitest';
import { can, type Actor } from './can.js';
import { BUILTIN_CHANNEL_TYPE_NAMES, resolveChannelType, type Grants } from './channel-types.js';
import { PERMISSIONS, type Permission } from './permissions.js';

const messaging = resolveChannelType('messaging');
const team = resolveChannelType('team');
const announcement = resolveChannelType('announcement');
const livestream = resolveChannelType('livestream');
const support = resolveChannelType('support');

const user = (memberRole?: string | null, extra: Partial<Actor> = {}): Actor => ({ appRole: 'user', memberRole, ...extra });

describe('can: server tokens and app admins', () => {
  it('lets a server token do everything on every built-in type, with no membership', () => {
    for (const name of BUILTIN_CHANNEL_TYPE_NAMES) {
      const type = resolveChannelType(name);
      for (const permission of PERMISSIONS) expect(can({ server: true, appRole: 'user' }, permission, type)).toBe(true);
    }
  });

  it('lets a server token act even on a type whose grants are empty', () => {
    expect(can({ server: true, appRole: 'user' }, 'delete_channel', { grants: {} })).toBe(true);
  });

  it('lets an app admin (grant `*`) do everything, member or not', () => {
    for (const name of BUILTIN_CHANNEL_TYPE_NAMES) {
      const type = resolveChannelType(name);
      for (const permission of PERMISSIONS) {
        expect(can({ appRole: 'admin' }, permission, type)).toBe(true);
        expect(can({ appRole: 'admin', memberRole: 'member' }, permission, type)).toBe(true);
      }
    }
  });

  it('honours `*` for any role that is granted it', () => {
    const grants: Grants = { member: ['*'] };
    expect(can(user('member'), 'truncate_channel', { grants })).toBe(true);
    expect(can(user(null), 'read_channel', { grants })).toBe(false);
  });
});

describe('can: built-in types', () => {
  it('messaging: a member can read and send; a non-member cannot', () => {
    expect(can(user('member'), 'read_channel', messaging)).toBe(true);
    expect(can(user('member'), 'send_message', messaging)).toBe(true);
    expect(can(user('member'), 'add_members', messaging)).toBe(true);
    expect(can(user('member'), 'delete_channel', messaging)).toBe(false);
    expect(can(user(null), 'send_message', messaging)).toBe(false);
    expect(can(user(null), 'read_channel', messaging)).toBe(false);
    expect(can(user(), 'send_message', messaging)).toBe(false);
    // Any user may start a DM.
    expect(can(user(null), 'create_channel', messaging)).toBe(true);
    expect(can({ appRole: 'guest' }, 'create_channel', messaging)).toBe(false);
  });

  it('team: members talk, only moderators and owners manage', () => {
    expect(can(user('member'), 'send_message', team)).toBe(true);
    expect(can(user('member'), 'remove_members', team)).toBe(false);
    expect(can(user('moderator'), 'remove_members', team)).toBe(true);
    expect(can(user('moderator'), 'delete_channel', team)).toBe(false);
    expect(can(user('owner'), 'delete_channel', team)).toBe(true);
  });

  it('livestream: a non-member user can read and join but not send; a guest can only read', () => {
    expect(can(user(null), 'read_channel', livestream)).toBe(true);
    expect(can(user(null), 'join_channel', livestream)).toBe(true);
    expect(can(user(null), 'send_message', livestream)).toBe(false);
    expect(can(user(null), 'react', livestream)).toBe(false);
    expect(can({ appRole: 'guest' }, 'read_channel', livestream)).toBe(true);
    expect(can({ appRole: 'guest' }, 'join_channel', livestream)).toBe(false);
    expect(can(user('member'), 'send_message', livestream)).toBe(true);
    expect(can(user('member'), 'upload_file', livestream)).toBe(false);
  });

  it('announcement: members read and react; moderators and owners post', () => {
    expect(can(user('member'), 'read_channel', announcement)).toBe(true);
    expect(can(user('member'), 'react', announcement)).toBe(true);
    expect(can(user('member'), 'send_message', announcement)).toBe(false);
    expect(can(user('member'), 'send_reply', announcement)).toBe(false);
    expect(can(user('member'), 'send_priority_alert', announcement)).toBe(false);
    expect(can(user('moderator'), 'send_message', announcement)).toBe(true);
    expect(can(user('moderator'), 'send_priority_alert', announcement)).toBe(true);
    expect(can(user('owner'), 'send_message', announcement)).toBe(true);
    expect(can(user('owner'), 'delete_channel', announcement)).toBe(true);
    expect(can(user(null), 'read_channel', announcement)).toBe(false);
  });

  it('support: agents (moderators) truncate, customers (members) do not', () => {
    expect(can(user('member'), 'send_message', support)).toBe(true);
    expect(can(user('member'), 'truncate_channel', support)).toBe(false);
    expect(can(user('moderator'), 'truncate_channel', support)).toBe(true);
    expect(can({ appRole: 'guest' }, 'create_channel', support)).toBe(true);
  });
});

describe('can: role implication', () => {
  it('an owner holds every moderator and member grant', () => {
    for (const name of BUILTIN_CHANNEL_TYPE_NAMES) {
      const { grants } = resolveChannelType(name);
      for (const permission of [...(grants.moderator ?? []), ...(grants.member ?? [])] as Permission[]) {
        expect(can(user('owner'), permission, { grants }), `${name}: owner ${permission}`).toBe(true);
      }
    }
  });

  it('owner implies moderator and member even when only those roles are granted', () => {
    const grants: Grants = { member: ['send_message'], moderator: ['pin_message'] };
    expect(can(user('owner'), 'send_message', { grants })).toBe(true);
    expect(can(user('owner'), 'pin_message', { grants })).toBe(true);
    expect(can(user('moderator'), 'send_message', { grants })).toBe(true);
    expect(can(user('moderator'), 'pin_message', { grants })).toBe(true);
    expect(can(user('member'), 'pin_message', { grants })).toBe(false);
  });

  it('does not let a lower role inherit a higher one', () => {
    const grants: Grants = { owner: ['delete_channel'], moderator: ['ban_user'] };
    expect(can(user('moderator'), 'delete_channel', { grants })).toBe(false);
    expect(can(user('member'), 'ban_user', { grants })).toBe(false);
  });

  it('a custom member role (captain) implies member, and adds its own grants', () => {
    expect(can(user('captain'), 'send_message', messaging)).toBe(true);
    expect(can(user('captain'), 'read_channel', announcement)).toBe(true);
    expect(can(user('captain'), 'send_message', announcement)).toBe(false);
    const grants: Grants = { ...announcement.grants, captain: ['send_message'] };
    expect(can(user('captain'), 'send_message', { grants })).toBe(true);
    expect(can(user('member'), 'send_message', { grants })).toBe(false);
    // A custom member role does not imply moderator.
    expect(can(user('captain'), 'ban_user', { grants })).toBe(false);
  });

  it('app role grants apply whether or not the user is a member', () => {
    const grants: Grants = { user: ['read_channel'], member: ['send_message'] };
    expect(can(user(null), 'read_channel', { grants })).toBe(true);
    expect(can(user('member'), 'read_channel', { grants })).toBe(true);
    expect(can(user(null), 'send_message', { grants })).toBe(false);
  });

  it('a role with no grants entry grants nothing, even if its name is an Object property', () => {
    const grants: Grants = { member: ['read_channel'] };
    expect(can({ appRole: 'constructor' }, 'read_channel', { grants })).toBe(false);
    expect(can({ appRole: 'user', memberRole: 'constructor' }, 'read_channel', { grants })).toBe(true);
    expect(can({ appRole: 'user', memberRole: 'constructor' }, 'send_message', { grants })).toBe(false);
    // Grants parsed from stored JSON behave the same.
    const stored = JSON.parse('{"member":["read_channel"]}') as Grants;
    expect(can({ appRole: 'constructor' }, 'send_message', { grants: stored })).toBe(false);
  });

  it('a member role named like an app role does not pick up that app role\'s grants', () => {
    // `admin` is an app role with `*`: naming a member `admin` must not make them an app admin in the channel.
    expect(can(user('admin'), 'delete_channel', messaging)).toBe(false);
    expect(can(user('admin'), 'send_message', messaging)).toBe(true);
  });

  it('an app role named like a member role does not make its holder a member of every channel', () => {
    expect(can({ appRole: 'owner' }, 'delete_channel', team)).toBe(false);
    expect(can({ appRole: 'member' }, 'read_channel', messaging)).toBe(false);
  });
});

describe('can: banned actors', () => {
  it('keeps only read and leave', () => {
    const banned = user('member', { banned: true });
    expect(can(banned, 'read_channel', messaging)).toBe(true);
    expect(can(banned, 'leave_channel', messaging)).toBe(true);
    for (const permission of PERMISSIONS.filter((p) => p !== 'read_channel' && p !== 'leave_channel')) {
      expect(can(banned, permission, messaging), permission).toBe(false);
    }
  });

  it('applies to owners and app admins too, but not to server tokens', () => {
    expect(can(user('owner', { banned: true }), 'send_message', team)).toBe(false);
    expect(can(user('owner', { banned: true }), 'delete_channel', team)).toBe(false);
    expect(can({ appRole: 'admin', banned: true }, 'send_message', team)).toBe(false);
    expect(can({ appRole: 'admin', banned: true }, 'read_channel', team)).toBe(true);
    expect(can({ server: true, appRole: 'user', banned: true }, 'send_message', team)).toBe(true);
  });

  it('does not grant reading where the role had no read grant', () => {
    expect(can(user(null, { banned: true }), 'read_channel', messaging)).toBe(false);
  });
});

describe('seed 000: sports team announcements (coaches and captains post, players read)', () => {
  // App settings: roles ["coach", "player"]. The announcement type's grants are replaced by the app
  // (PUT /v1/channel-types/announcement {"grants": ...}) and come back from storage as JSON.
  const postAndAlert: Permission[] = ['read_channel', 'send_message', 'send_reply', 'send_priority_alert', 'react', 'pin_message', 'leave_channel', 'read_receipts'];
  const storedGrants: Grants = JSON.parse(
    JSON.stringify({
      admin: ['*'],
      coach: postAndAlert,
      player: [],
      owner: [...postAndAlert, 'update_channel', 'add_members', 'remove_members', 'delete_channel'],
      moderator: [...postAndAlert, 'add_members', 'remove_members', 'delete_any_message'],
      captain: postAndAlert,
      member: ['read_channel', 'react', 'leave_channel', 'read_receipts'],
    }),
  );
  const teamAnnouncements = resolveChannelType('announcement', { config: { push_notifications: true }, grants: storedGrants });

  const coach: Actor = { appRole: 'coach' };
  const coachMember: Actor = { appRole: 'coach', memberRole: 'member' };
  const captain: Actor = { appRole: 'player', memberRole: 'captain' };
  const player: Actor = { appRole: 'player', memberRole: 'member' };
  const outsider: Actor = { appRole: 'player' };

  it('keeps the built-in config and replaces the grants', () => {
    expect(teamAnnouncements.builtin).toBe(true);
    expect(teamAnnouncements.config.replies).toBe(false);
    expect(teamAnnouncements.grants).toEqual(storedGrants);
    expect(teamAnnouncements.grants.member).not.toContain('send_message');
  });

  it('coaches (app role) send and raise priority alerts, as members or not', () => {
    for (const actor of [coach, coachMember]) {
      expect(can(actor, 'send_message', teamAnnouncements)).toBe(true);
      expect(can(actor, 'send_priority_alert', teamAnnouncements)).toBe(true);
      expect(can(actor, 'read_channel', teamAnnouncements)).toBe(true);
    }
  });

  it('captains (channel member role) send and raise priority alerts', () => {
    expect(can(captain, 'send_message', teamAnnouncements)).toBe(true);
    expect(can(captain, 'send_priority_alert', teamAnnouncements)).toBe(true);
    expect(can(captain, 'read_channel', teamAnnouncements)).toBe(true);
    expect(can(captain, 'delete_channel', teamAnnouncements)).toBe(false);
  });

  it('player members only read and react', () => {
    const allowed = PERMISSIONS.filter((p) => can(player, p, teamAnnouncements));
    expect(allowed.sort()).toEqual(['leave_channel', 'react', 'read_channel', 'read_receipts']);
    expect(can(player, 'send_message', teamAnnouncements)).toBe(false);
    expect(can(player, 'send_priority_alert', teamAnnouncements)).toBe(false);
  });

  it('players outside the channel cannot even read it', () => {
    expect(can(outsider, 'read_channel', teamAnnouncements)).toBe(false);
  });

  it('a banned captain loses posting rights', () => {
    expect(can({ ...captain, banned: true }, 'send_message', teamAnnouncements)).toBe(false);
    expect(can({ ...captain, banned: true }, 'read_channel', teamAnnouncements)).toBe(true);
  });

  it('other types of the same app keep their defaults', () => {
    expect(can(player, 'send_message', team)).toBe(true);
    expect(can(coach, 'send_message', team)).toBe(false);
  });
});
