import { ADMIN_TOKEN, type TestApp, type TestServer } from '../support/server.js';

/** Who calls: the actors every route is checked against. */
export const ACTORS = ['operator', 'server', 'admin', 'owner', 'moderator', 'member', 'user', 'guest', 'otherApp', 'anonymous', 'deactivated'] as const;

/**
 * Channel-relative actors: `owner`, `moderator` and `member` belong to the fixture channels (a
 * `team` channel created by `owner`); `user` and `guest` are plain users of the app who are not
 * members; `admin` has the app role admin and is not a member either.
 */
export const USER_IDS: Partial<Record<Actor, string>> = {
  admin: 'app-admin',
  owner: 'chan-owner',
  moderator: 'chan-mod',
  member: 'chan-member',
  user: 'plain',
  guest: 'guest-1',
  otherApp: 'outsider',
  deactivated: 'gone',
};

export interface Fixture {
  type: string;
  id: string;
  /** A message sent by `member`. */
  messageId: string;
}
export type Actor = (typeof ACTORS)[number];

export interface World {
  t: TestServer;
  app: TestApp;
  other: TestApp;
  tokens: Record<Actor, string | null>;
  /** A fresh user of the main app, for destructive rows. */
  freshUser(): Promise<string>;
  /** A fresh key of the main app, for key deletion rows. */
  freshKey(): Promise<string>;
  /** A fresh team channel: owner, moderator, member, bystander, and a message by member. */
  freshChannel(): Promise<Fixture>;
  /** The shared fixture channel (for rows that change nothing). */
  shared: Fixture;
}

let counter = 0;

export async function buildWorld(t: TestServer): Promise<World> {
  const app = await t.createApp('main');
  const other = await t.createApp('other');
  await app.upsertUsers([
    { id: 'app-admin', role: 'admin' },
    { id: 'plain', role: 'user' },
    { id: 'guest-1', role: 'guest' },
    { id: 'gone', role: 'user' },
    { id: 'target', name: 'Target' },
    { id: 'chan-owner' },
    { id: 'chan-mod' },
    { id: 'chan-member' },
    { id: 'bystander' },
  ]);
  await other.upsertUsers([{ id: 'outsider' }]);
  // Fixtures send hundreds of messages a minute as one member.
  await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { limits: { messages_per_minute_per_user: 100000, requests_per_second_per_user: 100000 } } } });
  const deactivatedToken = await app.token('gone');
  const deactivated = await t.request('POST', '/v1/users/gone/deactivate', { token: app.serverToken });
  if (deactivated.status !== 200) throw new Error('setup: deactivate failed');
  const ownerToken = await app.token('chan-owner');
  const memberToken = await app.token('chan-member');
  const freshChannel = async (): Promise<Fixture> => {
    const id = `room-${++counter}`;
    const created = await t.request('POST', '/v1/channels', { token: ownerToken, body: { type: 'team', id, members: ['chan-mod', 'chan-member', 'bystander'] } });
    if (created.status !== 201) throw new Error(`setup: channel ${JSON.stringify(created.body)}`);
    await t.request('PATCH', `/v1/channels/team/${id}/members/chan-mod`, { token: app.serverToken, body: { role: 'moderator' } });
    const sent = await t.request('POST', `/v1/channels/team/${id}/messages`, { token: memberToken, body: { text: 'fixture message' } });
    if (sent.status !== 201) throw new Error(`setup: message ${JSON.stringify(sent.body)}`);
    return { type: 'team', id, messageId: sent.body.message.id };
  };
  const shared = await freshChannel();
  return {
    t,
    app,
    other,
    freshChannel,
    shared,
    tokens: {
      operator: ADMIN_TOKEN,
      server: app.serverToken,
      admin: await app.token('app-admin'),
      owner: ownerToken,
      moderator: await app.token('chan-mod'),
      member: memberToken,
      user: await app.token('plain'),
      guest: await app.token('guest-1'),
      otherApp: await other.token('outsider'),
      anonymous: null,
      deactivated: deactivatedToken,
    },
    freshUser: async () => {
      const id = `fresh-${++counter}`;
      await app.upsertUsers([{ id }]);
      return id;
    },
    freshKey: async () => {
      const created = await t.request('POST', `/v1/apps/${app.appId}/keys`, { token: ADMIN_TOKEN });
      return created.body.key_id as string;
    },
  };
}
