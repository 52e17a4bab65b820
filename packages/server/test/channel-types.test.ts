import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_CHANNEL_TYPES, DEFAULT_CHANNEL_CONFIG, can } from '@parley/protocol';
import { startTestServer, type TestApp, type TestServer } from '../../../test/support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

type Json = Record<string, any>;
const BUILTINS = ['messaging', 'team', 'announcement', 'livestream', 'support'];

function put(app: TestApp, type: string, body: unknown, token = app.serverToken) {
  return t.request('PUT', `/v1/channel-types/${type}`, { token, body });
}

function get(app: TestApp, type: string, token = app.serverToken) {
  return t.request('GET', `/v1/channel-types/${type}`, { token });
}

function expectValidation(res: { status: number; body: any }, field?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.error.code).toBe('VALIDATION_ERROR');
  if (field !== undefined) expect(res.body.error.details.field).toBe(field);
}

describe('reading channel types', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await t.createApp('read-types');
  });

  it('lists the five built-ins with their config and grants', async () => {
    const res = await t.request('GET', '/v1/channel-types', { token: app.serverToken });
    expect(res.status).toBe(200);
    expect(res.body.channel_types.map((c: Json) => c.name)).toEqual(BUILTINS);
    for (const type of res.body.channel_types) {
      expect(type.builtin).toBe(true);
      expect(type.config).toEqual(BUILTIN_CHANNEL_TYPES[type.name]!.config);
      expect(type.grants).toEqual(BUILTIN_CHANNEL_TYPES[type.name]!.grants);
    }
    const byName = Object.fromEntries(res.body.channel_types.map((c: Json) => [c.name, c]));
    expect(byName.messaging.config.max_members).toBe(100);
    expect(byName.announcement.config.replies).toBe(false);
    expect(byName.announcement.grants.member).not.toContain('send_message');
    expect(byName.livestream.grants.user).toEqual(expect.arrayContaining(['read_channel', 'join_channel']));
    expect(byName.messaging.config.edit_window_seconds).toBeNull();
  });

  it('is readable by any user of the app, list and single', async () => {
    const token = await app.token('alice');
    const list = await t.request('GET', '/v1/channel-types', { token });
    expect(list.status).toBe(200);
    expect(list.body.channel_types).toHaveLength(5);
    const one = await get(app, 'livestream', token);
    expect(one.status).toBe(200);
    expect(one.body.channel_type).toMatchObject({ name: 'livestream', builtin: true, config: { uploads: false, typing_events: false } });
  });

  it('needs credentials', async () => {
    expect((await t.request('GET', '/v1/channel-types')).status).toBe(401);
    expect((await t.request('GET', '/v1/channel-types/messaging')).status).toBe(401);
  });

  it('gets one type, and 404s an unknown one', async () => {
    const res = await get(app, 'team');
    expect(res.status).toBe(200);
    expect(res.body.channel_type).toEqual({ name: 'team', builtin: true, config: BUILTIN_CHANNEL_TYPES.team!.config, grants: BUILTIN_CHANNEL_TYPES.team!.grants });
    const missing = await get(app, 'no-such-type');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    expect((await get(app, 'constructor')).status).toBe(404);
    expectValidation(await get(app, 'Not_A_Type'));
  });
});

describe('PUT /v1/channel-types/{type}', () => {
  let app: TestApp;
  let other: TestApp;
  beforeAll(async () => {
    app = await t.createApp('put-types');
    other = await t.createApp('bystander');
  });

  it('is for server tokens only', async () => {
    const res = await put(app, 'messaging', { config: { typing_events: false } }, await app.token('alice'));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('PERMISSION_DENIED');
    expect((await get(app, 'messaging')).body.channel_type.config.typing_events).toBe(true);
  });

  it('merges a partial config: other keys keep their defaults, overrides accumulate', async () => {
    const first = await put(app, 'team', { config: { max_message_length: 2000 } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.channel_type.config).toEqual({ ...BUILTIN_CHANNEL_TYPES.team!.config, max_message_length: 2000 });
    expect(first.body.channel_type.grants).toEqual(BUILTIN_CHANNEL_TYPES.team!.grants);

    const second = await put(app, 'team', { config: { slow_mode_seconds: 30, edit_window_seconds: 900 } });
    expect(second.body.channel_type.config).toEqual({
      ...BUILTIN_CHANNEL_TYPES.team!.config,
      max_message_length: 2000,
      slow_mode_seconds: 30,
      edit_window_seconds: 900,
    });
    // Read back, and a later PUT of the same key wins.
    expect((await get(app, 'team')).body.channel_type.config).toEqual(second.body.channel_type.config);
    const third = await put(app, 'team', { config: { max_message_length: 3000, edit_window_seconds: null } });
    expect(third.body.channel_type.config).toMatchObject({ max_message_length: 3000, slow_mode_seconds: 30, edit_window_seconds: null, max_members: 5000 });
    // The list shows the same effective type.
    const list = await t.request('GET', '/v1/channel-types', { token: app.serverToken });
    expect(list.body.channel_types.find((c: Json) => c.name === 'team')).toEqual(third.body.channel_type);
  });

  it('replaces grants when given, and leaves them alone when not', async () => {
    const grants = { admin: ['*'], owner: ['update_channel', 'delete_channel'], member: ['read_channel', 'send_message'] };
    const res = await put(app, 'support', { grants });
    expect(res.status).toBe(200);
    expect(res.body.channel_type.grants).toEqual(grants);
    const later = await put(app, 'support', { config: { uploads: false } });
    expect(later.body.channel_type.grants).toEqual(grants);
    expect(later.body.channel_type.config.uploads).toBe(false);
    const replaced = await put(app, 'support', { grants: { member: ['read_channel'] } });
    expect(replaced.body.channel_type.grants).toEqual({ member: ['read_channel'] });
    expect(replaced.body.channel_type.config.uploads).toBe(false);
  });

  it('creates a custom type from a new name, with messaging defaults, listed afterwards', async () => {
    expect((await get(app, 'coaches-room')).status).toBe(404);
    const res = await put(app, 'coaches-room', { config: { search: false } });
    expect(res.status).toBe(200);
    expect(res.body.channel_type).toEqual({
      name: 'coaches-room',
      builtin: false,
      config: { ...BUILTIN_CHANNEL_TYPES.messaging!.config, search: false },
      grants: BUILTIN_CHANNEL_TYPES.messaging!.grants,
    });
    expect((await get(app, 'coaches-room', await app.token('alice'))).body.channel_type.name).toBe('coaches-room');
    const list = await t.request('GET', '/v1/channel-types', { token: app.serverToken });
    expect(list.body.channel_types.map((c: Json) => c.name)).toEqual([...BUILTINS, 'coaches-room']);
  });

  it('creates a custom type even with an empty body, and with a name that is an Object property', async () => {
    const empty = await put(app, 'plain', {});
    expect(empty.status).toBe(200);
    expect(empty.body.channel_type).toMatchObject({ name: 'plain', builtin: false, config: BUILTIN_CHANNEL_TYPES.messaging!.config });
    const odd = await put(app, 'constructor', { config: { presence: false } });
    expect(odd.status, JSON.stringify(odd.body)).toBe(200);
    expect(odd.body.channel_type).toEqual({
      name: 'constructor',
      builtin: false,
      config: { ...BUILTIN_CHANNEL_TYPES.messaging!.config, presence: false },
      grants: BUILTIN_CHANNEL_TYPES.messaging!.grants,
    });
    expect((await get(app, 'constructor')).body.channel_type.builtin).toBe(false);
  });

  it('rejects an unknown config field, naming it', async () => {
    expectValidation(await put(app, 'messaging', { config: { bogus: true } }), 'config.bogus');
    expectValidation(await put(app, 'messaging', { config: { typing_events: false }, colour: 'red' }), 'colour');
    expect((await get(app, 'messaging')).body.channel_type.config.typing_events).toBe(true);
  });

  it('rejects wrongly typed and out-of-range config values', async () => {
    expectValidation(await put(app, 'messaging', { config: { typing_events: 'no' } }), 'config.typing_events');
    expectValidation(await put(app, 'messaging', { config: { max_members: 0 } }), 'config.max_members');
    expectValidation(await put(app, 'messaging', { config: { slow_mode_seconds: -1 } }), 'config.slow_mode_seconds');
    expectValidation(await put(app, 'messaging', { config: { max_message_length: 1.5 } }), 'config.max_message_length');
  });

  it('rejects an unknown permission name in grants, and a malformed role name', async () => {
    const res = await put(app, 'messaging', { grants: { member: ['read_channel', 'launch_rockets'] } });
    expectValidation(res);
    expect(res.body.error.details.field).toMatch(/^grants\.member/);
    expectValidation(await put(app, 'messaging', { grants: { member: 'read_channel' } }));
    expectValidation(await put(app, 'messaging', { grants: { 'Not A Role': ['read_channel'] } }), 'grants.Not A Role');
    expectValidation(await put(app, 'messaging', { grants: { member: ['read_channel', 'read_channel'] } }));
    expect((await get(app, 'messaging')).body.channel_type.grants).toEqual(BUILTIN_CHANNEL_TYPES.messaging!.grants);
  });

  it('rejects min_members greater than max_members, against the merged config, writing nothing', async () => {
    const direct = await put(app, 'messaging', { config: { min_members: 10, max_members: 5 } });
    expectValidation(direct, 'config.min_members');
    // messaging allows 100 members by default: a minimum above that is refused.
    expectValidation(await put(app, 'messaging', { config: { min_members: 150 } }), 'config.min_members');
    expect((await get(app, 'messaging')).body.channel_type.config).toEqual(BUILTIN_CHANNEL_TYPES.messaging!.config);

    // Against stored overrides: min 20 is fine, then max 10 would undercut it.
    expect((await put(app, 'livestream', { config: { min_members: 20 } })).status).toBe(200);
    expectValidation(await put(app, 'livestream', { config: { max_members: 10, uploads: true } }), 'config.min_members');
    const after = (await get(app, 'livestream')).body.channel_type.config;
    expect(after).toMatchObject({ min_members: 20, max_members: null, uploads: false });
    // Equal bounds are fine; removing the maximum is fine.
    expect((await put(app, 'livestream', { config: { max_members: 20 } })).status).toBe(200);
    expect((await put(app, 'livestream', { config: { max_members: null, min_members: 500 } })).status).toBe(200);
    expect((await get(app, 'livestream')).body.channel_type.config).toMatchObject({ min_members: 500, max_members: null });
  });

  it('expresses the org-messenger preset: groups of 3 to 50', async () => {
    const res = await put(app, 'messaging', { config: { min_members: 3, max_members: 50 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.channel_type.config).toEqual({ ...BUILTIN_CHANNEL_TYPES.messaging!.config, min_members: 3, max_members: 50 });
    const read = await get(app, 'messaging', await app.token('alice'));
    expect(read.body.channel_type.config).toMatchObject({ min_members: 3, max_members: 50, typing_events: true });
  });

  it('leaves other apps untouched', async () => {
    const list = await t.request('GET', '/v1/channel-types', { token: other.serverToken });
    expect(list.body.channel_types.map((c: Json) => c.name)).toEqual(BUILTINS);
    for (const type of list.body.channel_types) {
      expect(type.config).toEqual(BUILTIN_CHANNEL_TYPES[type.name]!.config);
      expect(type.grants).toEqual(BUILTIN_CHANNEL_TYPES[type.name]!.grants);
    }
    expect((await get(other, 'coaches-room')).status).toBe(404);
    // And a PUT in the other app does not reach this one.
    expect((await put(other, 'messaging', { config: { max_members: 7 } })).status).toBe(200);
    expect((await get(app, 'messaging')).body.channel_type.config.max_members).toBe(50);
    expect((await get(other, 'messaging')).body.channel_type.config.max_members).toBe(7);
  });
});

describe('seed 000: sports-team announcements', () => {
  it('stores grants where coaches and captains post and players only read and react', async () => {
    const app = await t.createApp('sports-team');
    const roles = await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { roles: ['coach', 'player'] } } });
    expect(roles.status).toBe(200);
    const poster = ['read_channel', 'send_message', 'send_reply', 'send_priority_alert', 'react', 'pin_message', 'leave_channel', 'read_receipts'];
    const grants = {
      admin: ['*'],
      coach: poster,
      player: [],
      owner: [...poster, 'update_channel', 'add_members', 'remove_members', 'delete_channel'],
      moderator: [...poster, 'add_members', 'remove_members', 'delete_any_message'],
      captain: poster,
      member: ['read_channel', 'react', 'leave_channel', 'read_receipts'],
    };
    const res = await put(app, 'announcement', { grants, config: { push_notifications: true, reactions: true } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);

    const read = await get(app, 'announcement', await app.token('player-lee'));
    expect(read.status).toBe(200);
    const type = read.body.channel_type;
    expect(type.grants).toEqual(grants);
    expect(type.config).toEqual({ ...BUILTIN_CHANNEL_TYPES.announcement!.config, push_notifications: true, reactions: true });
    expect(type.config.max_message_length).toBe(DEFAULT_CHANNEL_CONFIG.max_message_length);

    // What the stored type means, through the same `can` the server and the SDK use.
    expect(can({ appRole: 'coach' }, 'send_priority_alert', type)).toBe(true);
    expect(can({ appRole: 'player', memberRole: 'captain' }, 'send_message', type)).toBe(true);
    expect(can({ appRole: 'player', memberRole: 'captain' }, 'send_priority_alert', type)).toBe(true);
    expect(can({ appRole: 'player', memberRole: 'member' }, 'read_channel', type)).toBe(true);
    expect(can({ appRole: 'player', memberRole: 'member' }, 'react', type)).toBe(true);
    expect(can({ appRole: 'player', memberRole: 'member' }, 'send_message', type)).toBe(false);

    // The team's other types keep their defaults.
    expect((await get(app, 'team')).body.channel_type.grants).toEqual(BUILTIN_CHANNEL_TYPES.team!.grants);
  });
});
