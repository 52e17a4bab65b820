import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Id, Message, PageQuery, PresenceResponse, SetPresenceBody, Strict, ThreadUnread } from '@parley/protocol';
import { doBlock } from '../../actions/blocks.js';
import { doFlaggedMessages } from '../../actions/pins-and-stars.js';
import { doSetPresence } from '../../actions/presence.js';
import { doUnread } from '../../actions/read-state.js';
import { doSync } from '../../actions/sync.js';
import type { Services } from '../../services.js';
import { appAuth } from '../guards.js';

const tags = ['me'];
const MessageList = Type.Object({ messages: Type.Array(Message), next: Type.Union([Type.String(), Type.Null()]) });
const Blocks = Type.Object({ blocks: Type.Array(Type.Object({ user_id: Type.String(), created_at: Type.String() })) });
const Unread = Type.Object({
  total_unread_count: Type.Integer(),
  unread_channels: Type.Integer(),
  total_unread_mentions: Type.Integer(),
  channels: Type.Array(Type.Object({ cid: Type.String(), unread_count: Type.Integer(), unread_mentions: Type.Integer(), last_read_seq: Type.Integer() })),
  unread_threads: Type.Integer(),
  threads: Type.Array(ThreadUnread),
});
const SyncBody = Strict({ cids: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 })), since: Type.Optional(Type.String({ maxLength: 512 })) });
const SyncResponse = Type.Object({ events: Type.Array(Type.Record(Type.String(), Type.Unknown())), cursor: Type.String(), has_more: Type.Boolean() });

export function registerMeRoutes(app: FastifyInstance, services: Services): void {
  app.get('/v1/me/unread', { config: { auth: 'user' }, schema: { tags, summary: 'Unread counts: totals and per channel', response: { 200: Unread } } }, async (request) => doUnread(services, appAuth(request)));
  app.get<{ Querystring: PageQuery }>(
    '/v1/me/starred',
    { config: { auth: 'user' }, schema: { tags, summary: 'Messages you starred, newest first', querystring: PageQuery, response: { 200: MessageList } } },
    async (request) => doFlaggedMessages(services, appAuth(request), 'starred', request.query.limit, request.query.cursor),
  );
  app.get<{ Querystring: PageQuery }>(
    '/v1/me/mentions',
    { config: { auth: 'user' }, schema: { tags, summary: 'Messages that mention you, newest first', querystring: PageQuery, response: { 200: MessageList } } },
    async (request) => doFlaggedMessages(services, appAuth(request), 'mentioned', request.query.limit, request.query.cursor),
  );
  app.post<{ Params: { user_id: string } }>(
    '/v1/me/blocks/:user_id',
    { config: { auth: 'user' }, schema: { tags, summary: 'Block a user (no messages between you in DMs)', params: Type.Object({ user_id: Id }), response: { 200: Blocks } } },
    async (request) => doBlock(services, appAuth(request), request.params.user_id, true),
  );
  app.delete<{ Params: { user_id: string } }>(
    '/v1/me/blocks/:user_id',
    { config: { auth: 'user' }, schema: { tags, summary: 'Unblock a user', params: Type.Object({ user_id: Id }), response: { 200: Blocks } } },
    async (request) => doBlock(services, appAuth(request), request.params.user_id, false),
  );
  app.patch<{ Body: SetPresenceBody }>(
    '/v1/me/presence',
    {
      config: { auth: 'user' },
      schema: { tags, summary: 'Your presence status: online, away, dnd or invisible (shown to others as offline)', body: SetPresenceBody, response: { 200: PresenceResponse } },
    },
    async (request) => doSetPresence(services, appAuth(request), request.body),
  );
  app.post<{ Body: { cids?: string[]; since?: string } }>(
    '/v1/sync',
    { config: { auth: 'user' }, schema: { tags: ['sync'], summary: 'Events since a cursor, in commit order', body: Type.Optional(SyncBody), response: { 200: SyncResponse } } },
    async (request) => doSync(services, appAuth(request), request.body ?? {}),
  );
}
