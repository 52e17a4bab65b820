import { USER_IDS, type Actor, type World } from './actors.js';
import { CHANNEL_ROWS } from './channel-routes.js';

export interface Call {
  url: string;
  body?: unknown;
}

/** One row: a route, how to call it (fresh state per actor where it destroys), the status per actor. */
export interface Row {
  route: string;
  label?: string;
  call: (world: World, actor: Actor) => Call | Promise<Call>;
  expect: Record<Actor, number>;
}

/** Platform rows: the channel-relative actors are plain users there. */
function asUsers(expect: Omit<Record<Actor, number>, 'owner' | 'moderator' | 'member'>): Record<Actor, number> {
  return { ...expect, owner: expect.user, moderator: expect.user, member: expect.user };
}

const all = (status: number): Record<Actor, number> => asUsers({
  operator: status,
  server: status,
  admin: status,
  user: status,
  guest: status,
  otherApp: status,
  anonymous: status,
  deactivated: status,
});

const operatorOnly = (ok: number): Record<Actor, number> => asUsers({
  operator: ok,
  server: 403,
  admin: 403,
  user: 403,
  guest: 403,
  otherApp: 403,
  anonymous: 401,
  deactivated: 401,
});

const serverOnly = (ok: number): Record<Actor, number> => asUsers({
  operator: 403,
  server: ok,
  admin: 403,
  user: 403,
  guest: 403,
  otherApp: 403,
  anonymous: 401,
  deactivated: 401,
});

/** Any member of an app reads; objects of another app are invisible (404). */
const appRead = (otherApp: number): Record<Actor, number> => asUsers({
  operator: 403,
  server: 200,
  admin: 200,
  user: 200,
  guest: 200,
  otherApp,
  anonymous: 401,
  deactivated: 401,
});

/** Server token or app admin; plain users and guests see the user but may not (403); other apps: 404. */
const adminAction: Record<Actor, number> = asUsers({
  operator: 403,
  server: 200,
  admin: 200,
  user: 403,
  guest: 403,
  otherApp: 404,
  anonymous: 401,
  deactivated: 401,
});

export const ROWS: Row[] = [
  { route: 'GET /healthz', call: () => ({ url: '/healthz' }), expect: all(200) },
  { route: 'GET /readyz', call: () => ({ url: '/readyz' }), expect: all(200) },
  { route: 'GET /metrics', call: () => ({ url: '/metrics' }), expect: all(200) },
  { route: 'GET /openapi.json', call: () => ({ url: '/openapi.json' }), expect: all(200) },
  { route: 'GET /docs/', call: () => ({ url: '/docs/' }), expect: all(200) },
  // The WebSocket gateway: public at the HTTP level (the token travels in the protocol's connect
  // command, see test/realtime/authorization.test.ts); a plain GET without an upgrade is a 400.
  { route: 'GET /connection/websocket', call: () => ({ url: '/connection/websocket' }), expect: all(400) },

  { route: 'POST /v1/apps', call: () => ({ url: '/v1/apps', body: { name: 'x' } }), expect: operatorOnly(201) },
  { route: 'GET /v1/apps', call: () => ({ url: '/v1/apps' }), expect: operatorOnly(200) },
  { route: 'POST /v1/apps/:app_id/keys', call: (w) => ({ url: `/v1/apps/${w.app.appId}/keys` }), expect: operatorOnly(201) },
  {
    route: 'DELETE /v1/apps/:app_id/keys/:key_id',
    call: async (w) => ({ url: `/v1/apps/${w.app.appId}/keys/${await w.freshKey()}` }),
    expect: operatorOnly(200),
  },

  { route: 'GET /v1/app', call: () => ({ url: '/v1/app' }), expect: serverOnly(200) },
  { route: 'PATCH /v1/app', call: () => ({ url: '/v1/app', body: { settings: { roles: ['coach'] } } }), expect: serverOnly(200) },

  { route: 'GET /v1/channel-types', call: () => ({ url: '/v1/channel-types' }), expect: appRead(200) },
  { route: 'GET /v1/channel-types/:type', call: () => ({ url: '/v1/channel-types/messaging' }), expect: appRead(200) },
  { route: 'PUT /v1/channel-types/:type', call: () => ({ url: '/v1/channel-types/team', body: { config: { max_message_length: 4000 } } }), expect: serverOnly(200) },

  { route: 'POST /v1/users', call: () => ({ url: '/v1/users', body: { users: [{ id: 'upserted' }] } }), expect: serverOnly(200) },
  { route: 'GET /v1/users', call: () => ({ url: '/v1/users' }), expect: appRead(200) },
  { route: 'GET /v1/users/:id', call: () => ({ url: '/v1/users/target' }), expect: appRead(404) },
  { route: 'PATCH /v1/users/:id', label: 'another user', call: () => ({ url: '/v1/users/target', body: { name: 'T' } }), expect: adminAction },
  {
    route: 'PATCH /v1/users/:id',
    label: 'self',
    call: (_w, actor) => ({ url: `/v1/users/${USER_IDS[actor] ?? 'target'}`, body: { name: 'Me' } }),
    expect: asUsers({ operator: 403, server: 200, admin: 200, user: 200, guest: 200, otherApp: 200, anonymous: 401, deactivated: 401 }),
  },
  { route: 'POST /v1/users/:id/deactivate', call: async (w) => ({ url: `/v1/users/${await w.freshUser()}/deactivate` }), expect: adminAction },
  { route: 'POST /v1/users/:id/reactivate', call: async (w) => ({ url: `/v1/users/${await w.freshUser()}/reactivate` }), expect: adminAction },
  { route: 'POST /v1/users/:id/ban', call: async (w) => ({ url: `/v1/users/${await w.freshUser()}/ban`, body: { reason: 'spam' } }), expect: adminAction },
  { route: 'DELETE /v1/users/:id/ban', call: async (w) => ({ url: `/v1/users/${await w.freshUser()}/ban` }), expect: adminAction },
  { route: 'DELETE /v1/users/:id', call: async (w) => ({ url: `/v1/users/${await w.freshUser()}?mode=hard` }), expect: adminAction },

  {
    route: 'GET /v1/me',
    call: () => ({ url: '/v1/me' }),
    // A server token must name the user it acts as (X-Parley-User): 400 without it.
    expect: asUsers({ operator: 403, server: 400, admin: 200, user: 200, guest: 200, otherApp: 200, anonymous: 401, deactivated: 401 }),
  },
  { route: 'POST /v1/tokens', call: () => ({ url: '/v1/tokens', body: { user_id: 'plain', expires_in: 60 } }), expect: serverOnly(201) },
  ...CHANNEL_ROWS,
];
