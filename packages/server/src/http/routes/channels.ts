import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  AddMembersBody,
  ChannelParams,
  ChannelResponse,
  ChannelState,
  CreateChannelBody,
  GetChannelQuery,
  MarkDeliveredBody,
  MarkReadBody,
  MarkReadResult,
  ReadResult,
  MemberParams,
  MembersResponse,
  MembershipResponse,
  MessagePage,
  MessageResponse,
  MessageWindowQuery,
  Ok,
  QueryChannelsBody,
  QueryChannelsResponse,
  RemoveMembersBody,
  SendMessageBody,
  TypingBody,
  UpdateChannelBody,
  UpdateMemberBody,
  UpdateMembershipBody,
  Member,
} from '@parley/protocol';
import { doDeleteChannel, doGetChannel, doGetOrCreateChannel, doTruncateChannel, doUpdateChannel } from '../../actions/channels.js';
import { doQueryChannels } from '../../actions/channel-query.js';
import { doAddMembers, doRemoveMembers, doUpdateMemberRole, doUpdateMembership } from '../../actions/members.js';
import { doListMessages } from '../../actions/messages.js';
import { doMarkAllRead, doMarkDelivered, doMarkRead } from '../../actions/read-state.js';
import { doSendMessage } from '../../actions/send-message.js';
import { doTyping } from '../../actions/typing.js';
import { toChannel } from '../../db/channels.js';
import type { Services } from '../../services.js';
import { appAuth } from '../guards.js';

type P = { type: string; id: string };
const tags = ['channels'];

export function registerChannelRoutes(app: FastifyInstance, services: Services): void {
  app.post<{ Body: CreateChannelBody }>(
    '/v1/channels',
    { config: { auth: 'app' }, schema: { tags, summary: 'Get or create a channel (distinct when members and no id)', body: CreateChannelBody, response: { 200: ChannelState, 201: ChannelState } } },
    async (request, reply) => {
      const { state, created } = await doGetOrCreateChannel(services, appAuth(request), request.body);
      return reply.status(created ? 201 : 200).send(state);
    },
  );
  app.post<{ Body: QueryChannelsBody }>(
    '/v1/channels/query',
    { config: { auth: 'app' }, schema: { tags, summary: 'Query channels (filter, sort, cursor) with their state', body: QueryChannelsBody, response: { 200: QueryChannelsResponse } } },
    async (request) => doQueryChannels(services, appAuth(request), request.body),
  );
  app.post('/v1/channels/read', { config: { auth: 'user' }, schema: { tags, summary: 'Mark every channel read', response: { 200: Type.Object({ marked: Type.Integer() }) } } }, async (request) =>
    doMarkAllRead(services, appAuth(request)),
  );
  app.get<{ Params: P; Querystring: GetChannelQuery }>(
    '/v1/channels/:type/:id',
    { config: { auth: 'app' }, schema: { tags, summary: 'Channel state (messages around/before/after a seq or message)', params: ChannelParams, querystring: GetChannelQuery, response: { 200: ChannelState } } },
    async (request) => doGetChannel(services, appAuth(request), request.params.type, request.params.id, request.query),
  );
  app.patch<{ Params: P; Body: UpdateChannelBody }>(
    '/v1/channels/:type/:id',
    { config: { auth: 'app' }, schema: { tags, summary: 'Update a channel: set / unset', params: ChannelParams, body: UpdateChannelBody, response: { 200: ChannelResponse } } },
    async (request) => ({ channel: toChannel(await doUpdateChannel(services, appAuth(request), request.params.type, request.params.id, request.body)) }),
  );
  app.delete<{ Params: P }>(
    '/v1/channels/:type/:id',
    { config: { auth: 'app' }, schema: { tags, summary: 'Delete a channel (soft)', params: ChannelParams, response: { 200: ChannelResponse } } },
    async (request) => ({ channel: await doDeleteChannel(services, appAuth(request), request.params.type, request.params.id) }),
  );
  app.post<{ Params: P }>(
    '/v1/channels/:type/:id/truncate',
    { config: { auth: 'app' }, schema: { tags, summary: 'Remove every message so far from reads', params: ChannelParams, response: { 200: ChannelResponse } } },
    async (request) => ({ channel: await doTruncateChannel(services, appAuth(request), request.params.type, request.params.id) }),
  );
  app.post<{ Params: P; Body: AddMembersBody }>(
    '/v1/channels/:type/:id/members',
    { config: { auth: 'app' }, schema: { tags: ['members'], summary: 'Add up to 100 members (or join)', params: ChannelParams, body: AddMembersBody, response: { 200: MembersResponse } } },
    async (request) => doAddMembers(services, appAuth(request), request.params.type, request.params.id, request.body),
  );
  app.delete<{ Params: P; Body: RemoveMembersBody }>(
    '/v1/channels/:type/:id/members',
    {
      config: { auth: 'app' },
      schema: { tags: ['members'], summary: 'Remove up to 100 members (or leave)', params: ChannelParams, body: RemoveMembersBody, response: { 200: Type.Object({ removed: Type.Array(Type.String()), member_count: Type.Integer() }) } },
    },
    async (request) => doRemoveMembers(services, appAuth(request), request.params.type, request.params.id, request.body.user_ids),
  );
  app.patch<{ Params: P & { user_id: string }; Body: UpdateMemberBody }>(
    '/v1/channels/:type/:id/members/:user_id',
    { config: { auth: 'app' }, schema: { tags: ['members'], summary: "Change a member's role", params: MemberParams, body: UpdateMemberBody, response: { 200: Type.Object({ member: Member }) } } },
    async (request) => doUpdateMemberRole(services, appAuth(request), request.params.type, request.params.id, request.params.user_id, request.body.role),
  );
  app.patch<{ Params: P; Body: UpdateMembershipBody }>(
    '/v1/channels/:type/:id/membership',
    { config: { auth: 'user' }, schema: { tags: ['members'], summary: 'Own flags: starred, archived, hidden, muted_until, notifications', params: ChannelParams, body: UpdateMembershipBody, response: { 200: MembershipResponse } } },
    async (request) => ({ membership: await doUpdateMembership(services, appAuth(request), request.params.type, request.params.id, request.body) }),
  );
  app.post<{ Params: P; Body: MarkReadBody }>(
    '/v1/channels/:type/:id/read',
    { config: { auth: 'user' }, schema: { tags: ['read state'], summary: 'Mark read up to a seq or message (default: latest)', params: ChannelParams, body: Type.Optional(MarkReadBody), response: { 200: MarkReadResult } } },
    async (request) => doMarkRead(services, appAuth(request), request.params.type, request.params.id, request.body ?? {}),
  );
  app.post<{ Params: P; Body: MarkDeliveredBody }>(
    '/v1/channels/:type/:id/delivered',
    { config: { auth: 'user' }, schema: { tags: ['read state'], summary: 'Move the delivered pointer', params: ChannelParams, body: MarkDeliveredBody, response: { 200: ReadResult } } },
    async (request) => doMarkDelivered(services, appAuth(request), request.params.type, request.params.id, request.body.seq),
  );
  app.post<{ Params: P; Body: TypingBody }>(
    '/v1/channels/:type/:id/typing',
    { config: { auth: 'user' }, schema: { tags: ['channels'], summary: 'Typing start/stop (ephemeral)', params: ChannelParams, body: TypingBody, response: { 200: Ok } } },
    async (request) => doTyping(services, appAuth(request), request.params.type, request.params.id, request.body),
  );
  app.post<{ Params: P; Body: SendMessageBody }>(
    '/v1/channels/:type/:id/messages',
    {
      config: { auth: 'user' },
      schema: { tags: ['messages'], summary: 'Send a message (idempotent by client_msg_id / Idempotency-Key)', params: ChannelParams, body: SendMessageBody, response: { 200: MessageResponse, 201: MessageResponse } },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const result = await doSendMessage(services, appAuth(request), request.params.type, request.params.id, request.body, typeof key === 'string' && key ? key.slice(0, 128) : undefined);
      return reply.status(result.created ? 201 : 200).send({ message: result.message });
    },
  );
  app.get<{ Params: P; Querystring: MessageWindowQuery }>(
    '/v1/channels/:type/:id/messages',
    { config: { auth: 'app' }, schema: { tags: ['messages'], summary: 'Messages by seq (before/after/around), ascending', params: ChannelParams, querystring: MessageWindowQuery, response: { 200: MessagePage } } },
    async (request) => doListMessages(services, appAuth(request), request.params.type, request.params.id, request.query),
  );
}
