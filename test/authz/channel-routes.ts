/**
 * Authorization rows of the conversation routes. Fixture channels are `team` channels (see
 * actors.ts): owner, moderator and member belong to them; user, guest and the app admin do not.
 * Missing and forbidden look the same: a non-member gets 404 for anything in the channel.
 */
import type { Actor, World } from './actors.js';
import { USER_IDS } from './actors.js';
import type { Row } from './routes.js';

interface ChannelExpect {
  server: number;
  admin: number;
  owner: number;
  moderator: number;
  member: number;
  /** user and guest of the same app (not members) */
  outsider?: number;
  otherApp?: number;
}

function expectFor(e: ChannelExpect): Record<Actor, number> {
  return {
    operator: 403,
    server: e.server,
    admin: e.admin,
    owner: e.owner,
    moderator: e.moderator,
    member: e.member,
    user: e.outsider ?? 404,
    guest: e.outsider ?? 404,
    otherApp: e.otherApp ?? 404,
    anonymous: 401,
    deactivated: 401,
  };
}

const readers = expectFor({ server: 200, admin: 200, owner: 200, moderator: 200, member: 200 });
/** Routes that need a user: a server token without X-Parley-User gets 400. */
const selfService = (admin: number) => expectFor({ server: 400, admin, owner: 200, moderator: 200, member: 200 });
const everyUser = (server: number, ok = 200) => expectFor({ server, admin: ok, owner: ok, moderator: ok, member: ok, outsider: ok, otherApp: ok });

const ch = (f: { type: string; id: string }) => `/v1/channels/${f.type}/${f.id}`;
let unique = 0;

export const CHANNEL_ROWS: Row[] = [
  {
    route: 'POST /v1/channels',
    label: 'create',
    call: (_w, actor) => ({ url: '/v1/channels', body: { type: 'team', id: `new-${actor}-${++unique}` } }),
    // The built-in team type grants create_channel to the app role user, not to guests.
    expect: { ...everyUser(201, 201), guest: 403 },
  },
  { route: 'POST /v1/channels/query', call: () => ({ url: '/v1/channels/query', body: { filter: { type: 'team' } } }), expect: everyUser(200) },
  { route: 'POST /v1/channels/read', call: () => ({ url: '/v1/channels/read' }), expect: everyUser(400) },
  { route: 'GET /v1/channels/:type/:id', call: (w) => ({ url: ch(w.shared) }), expect: readers },
  {
    route: 'PATCH /v1/channels/:type/:id',
    call: async (w) => ({ url: ch(await w.freshChannel()), body: { set: { name: 'Renamed' } } }),
    expect: expectFor({ server: 200, admin: 200, owner: 200, moderator: 200, member: 403 }),
  },
  { route: 'DELETE /v1/channels/:type/:id', call: async (w) => ({ url: ch(await w.freshChannel()) }), expect: expectFor({ server: 200, admin: 200, owner: 200, moderator: 403, member: 403 }) },
  {
    route: 'POST /v1/channels/:type/:id/truncate',
    call: async (w) => ({ url: `${ch(await w.freshChannel())}/truncate` }),
    expect: expectFor({ server: 200, admin: 200, owner: 200, moderator: 403, member: 403 }),
  },
  {
    route: 'POST /v1/channels/:type/:id/members',
    call: async (w) => ({ url: `${ch(await w.freshChannel())}/members`, body: { user_ids: ['target'] } }),
    expect: expectFor({ server: 200, admin: 200, owner: 200, moderator: 200, member: 403 }),
  },
  {
    route: 'DELETE /v1/channels/:type/:id/members',
    call: async (w) => ({ url: `${ch(await w.freshChannel())}/members`, body: { user_ids: ['bystander'] } }),
    expect: expectFor({ server: 200, admin: 200, owner: 200, moderator: 200, member: 403 }),
  },
  {
    route: 'PATCH /v1/channels/:type/:id/members/:user_id',
    call: async (w) => ({ url: `${ch(await w.freshChannel())}/members/bystander`, body: { role: 'moderator' } }),
    expect: expectFor({ server: 200, admin: 200, owner: 200, moderator: 403, member: 403 }),
  },
  {
    route: 'POST /v1/channels/:type/:id/bans',
    call: async (w) => ({ url: `${ch(await w.freshChannel())}/bans`, body: { user_id: 'bystander', reason: 'spam' } }),
    expect: expectFor({ server: 201, admin: 201, owner: 201, moderator: 201, member: 403 }),
  },
  { route: 'GET /v1/channels/:type/:id/bans', call: (w) => ({ url: `${ch(w.shared)}/bans` }), expect: expectFor({ server: 200, admin: 200, owner: 200, moderator: 200, member: 403 }) },
  {
    route: 'DELETE /v1/channels/:type/:id/bans/:user_id',
    call: async (w) => {
      const channel = await w.freshChannel();
      const banned = await w.t.request('POST', `${ch(channel)}/bans`, { token: w.app.serverToken, body: { user_id: 'bystander' } });
      if (banned.status !== 201) throw new Error(`setup: ban ${JSON.stringify(banned.body)}`);
      return { url: `${ch(channel)}/bans/bystander` };
    },
    expect: expectFor({ server: 200, admin: 200, owner: 200, moderator: 200, member: 403 }),
  },
  { route: 'PATCH /v1/channels/:type/:id/membership', call: (w) => ({ url: `${ch(w.shared)}/membership`, body: { starred: true } }), expect: selfService(404) },
  { route: 'POST /v1/channels/:type/:id/read', call: (w) => ({ url: `${ch(w.shared)}/read`, body: {} }), expect: selfService(404) },
  { route: 'POST /v1/channels/:type/:id/delivered', call: (w) => ({ url: `${ch(w.shared)}/delivered`, body: { seq: 1 } }), expect: selfService(404) },
  { route: 'POST /v1/channels/:type/:id/typing', call: (w) => ({ url: `${ch(w.shared)}/typing`, body: { state: 'start' } }), expect: selfService(200) },
  {
    route: 'POST /v1/channels/:type/:id/messages',
    call: (w, actor) => ({ url: `${ch(w.shared)}/messages`, body: { text: `hello from ${actor} ${++unique}` } }),
    expect: expectFor({ server: 400, admin: 201, owner: 201, moderator: 201, member: 201 }),
  },
  { route: 'GET /v1/channels/:type/:id/messages', call: (w) => ({ url: `${ch(w.shared)}/messages` }), expect: readers },

  { route: 'GET /v1/messages/:id', call: (w) => ({ url: `/v1/messages/${w.shared.messageId}` }), expect: readers },
  { route: 'POST /v1/messages/:id/thread/read', call: (w) => ({ url: `/v1/messages/${w.shared.messageId}/thread/read`, body: {} }), expect: selfService(404) },
  {
    route: 'PATCH /v1/messages/:id',
    call: async (w) => ({ url: `/v1/messages/${(await w.freshChannel()).messageId}`, body: { text: 'edited' } }),
    // The author edits; moderators delete but do not rewrite others' words.
    expect: expectFor({ server: 200, admin: 200, owner: 403, moderator: 403, member: 200 }),
  },
  { route: 'DELETE /v1/messages/:id', call: async (w) => ({ url: `/v1/messages/${(await w.freshChannel()).messageId}` }), expect: readers },
  { route: 'GET /v1/messages/:id/history', call: (w) => ({ url: `/v1/messages/${w.shared.messageId}/history` }), expect: readers },
  { route: 'GET /v1/messages/:id/replies', call: (w) => ({ url: `/v1/messages/${w.shared.messageId}/replies` }), expect: readers },
  { route: 'GET /v1/messages/:id/reads', call: (w) => ({ url: `/v1/messages/${w.shared.messageId}/reads` }), expect: readers },
  { route: 'POST /v1/messages/:id/reactions', call: (w) => ({ url: `/v1/messages/${w.shared.messageId}/reactions`, body: { type: 'like' } }), expect: selfService(200) },
  {
    route: 'DELETE /v1/messages/:id/reactions/:type',
    call: async (w, actor) => {
      const fixture = await w.freshChannel();
      const token = w.tokens[actor];
      if (token) await w.t.request('POST', `/v1/messages/${fixture.messageId}/reactions`, { token, body: { type: 'wow' } });
      return { url: `/v1/messages/${fixture.messageId}/reactions/wow` };
    },
    expect: selfService(200),
  },
  { route: 'GET /v1/messages/:id/reactions', call: (w) => ({ url: `/v1/messages/${w.shared.messageId}/reactions` }), expect: readers },
  { route: 'POST /v1/messages/:id/pin', call: async (w) => ({ url: `/v1/messages/${(await w.freshChannel()).messageId}/pin`, body: {} }), expect: readers },
  { route: 'DELETE /v1/messages/:id/pin', call: async (w) => ({ url: `/v1/messages/${(await w.freshChannel()).messageId}/pin` }), expect: readers },
  { route: 'PUT /v1/messages/:id/star', call: (w) => ({ url: `/v1/messages/${w.shared.messageId}/star` }), expect: selfService(200) },
  { route: 'DELETE /v1/messages/:id/star', call: (w) => ({ url: `/v1/messages/${w.shared.messageId}/star` }), expect: selfService(200) },

  { route: 'GET /v1/me/unread', call: () => ({ url: '/v1/me/unread' }), expect: everyUser(400) },
  { route: 'GET /v1/me/starred', call: () => ({ url: '/v1/me/starred' }), expect: everyUser(400) },
  { route: 'GET /v1/me/mentions', call: () => ({ url: '/v1/me/mentions' }), expect: everyUser(400) },
  // Everyone sets their own status; keeps the actors "online" for the rows that follow.
  { route: 'PATCH /v1/me/presence', call: () => ({ url: '/v1/me/presence', body: { status: 'online' } }), expect: everyUser(400) },
  // Blocking a user of another app: that id names nobody there.
  { route: 'POST /v1/me/blocks/:user_id', call: () => ({ url: '/v1/me/blocks/target' }), expect: { ...everyUser(400), otherApp: 404 } },
  {
    route: 'DELETE /v1/me/blocks/:user_id',
    call: async (w: World, actor: Actor) => {
      const token = w.tokens[actor];
      if (token && USER_IDS[actor]) await w.t.request('POST', '/v1/me/blocks/bystander', { token });
      return { url: '/v1/me/blocks/bystander' };
    },
    expect: { ...everyUser(400), otherApp: 404 },
  },
  { route: 'POST /v1/sync', call: () => ({ url: '/v1/sync', body: {} }), expect: everyUser(400) },
  // Last: for the other app's user this creates a channel with the same id in its own app, after
  // which that id is theirs; every row above sees the first app's channel as missing.
  {
    route: 'POST /v1/channels',
    label: 'existing',
    call: (w) => ({ url: '/v1/channels', body: { type: w.shared.type, id: w.shared.id } }),
    // In another app the same id names no channel: it is created there.
    expect: { ...readers, otherApp: 201 },
  },
];
