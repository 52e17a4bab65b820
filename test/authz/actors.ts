import { ADMIN_TOKEN, type TestApp, type TestServer } from '../support/server.js';

/** Who calls: the actors every route is checked against. */
export const ACTORS = ['operator', 'server', 'admin', 'user', 'guest', 'otherApp', 'anonymous', 'deactivated'] as const;
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
  ]);
  await other.upsertUsers([{ id: 'outsider' }]);
  const deactivatedToken = await app.token('gone');
  const deactivated = await t.request('POST', '/v1/users/gone/deactivate', { token: app.serverToken });
  if (deactivated.status !== 200) throw new Error('setup: deactivate failed');
  return {
    t,
    app,
    other,
    tokens: {
      operator: ADMIN_TOKEN,
      server: app.serverToken,
      admin: await app.token('app-admin'),
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
