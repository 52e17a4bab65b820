import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  DeleteMessageQuery,
  MessageHistory,
  MessagePage,
  MessageParams,
  MessageReads,
  MessageResponse,
  MessageWindowQuery,
  PageQuery,
  PinBody,
  ReactionBody,
  ReactionList,
  ReactionParams,
  ReactionResponse,
  UpdateMessageBody,
  MarkThreadReadBody,
  ThreadReadResponse,
} from '@parley/protocol';
import { doDeleteMessage, doGetMessage, doListReplies, doMessageHistory, doMessageReads, doUpdateMessage } from '../../actions/messages.js';
import { doPin, doStar } from '../../actions/pins-and-stars.js';
import { doAddReaction, doDeleteReaction, doListReactions } from '../../actions/reactions.js';
import { doMarkThreadRead } from '../../actions/thread-reads.js';
import type { Services } from '../../services.js';
import { appAuth } from '../guards.js';

type P = { id: string };
const tags = ['messages'];

export function registerMessageRoutes(app: FastifyInstance, services: Services): void {
  app.get<{ Params: P }>('/v1/messages/:id', { config: { auth: 'app' }, schema: { tags, summary: 'Get a message', params: MessageParams, response: { 200: MessageResponse } } }, async (request) => ({
    message: await doGetMessage(services, appAuth(request), request.params.id),
  }));
  app.patch<{ Params: P; Body: UpdateMessageBody }>(
    '/v1/messages/:id',
    { config: { auth: 'app' }, schema: { tags, summary: 'Edit a message (own, within the edit window)', params: MessageParams, body: UpdateMessageBody, response: { 200: MessageResponse } } },
    async (request) => ({ message: await doUpdateMessage(services, appAuth(request), request.params.id, request.body) }),
  );
  app.delete<{ Params: P; Querystring: { hard?: boolean } }>(
    '/v1/messages/:id',
    { config: { auth: 'app' }, schema: { tags, summary: 'Delete a message (tombstone; ?hard=true for moderators)', params: MessageParams, querystring: DeleteMessageQuery, response: { 200: MessageResponse } } },
    async (request) => ({ message: await doDeleteMessage(services, appAuth(request), request.params.id, request.query.hard === true) }),
  );
  app.get<{ Params: P }>('/v1/messages/:id/history', { config: { auth: 'app' }, schema: { tags, summary: 'Earlier versions of an edited message', params: MessageParams, response: { 200: MessageHistory } } }, async (request) =>
    doMessageHistory(services, appAuth(request), request.params.id),
  );
  app.get<{ Params: P; Querystring: MessageWindowQuery }>(
    '/v1/messages/:id/replies',
    { config: { auth: 'app' }, schema: { tags, summary: 'Thread replies (same pagination as messages)', params: MessageParams, querystring: MessageWindowQuery, response: { 200: MessagePage } } },
    async (request) => doListReplies(services, appAuth(request), request.params.id, request.query),
  );
  app.post<{ Params: P; Body: MarkThreadReadBody }>(
    '/v1/messages/:id/thread/read',
    {
      config: { auth: 'user' },
      schema: { tags: ['read state'], summary: "Mark a thread read up to seq (default: its last reply); the thread's unread replies in /v1/me/unread", params: MessageParams, body: Type.Optional(MarkThreadReadBody), response: { 200: ThreadReadResponse } },
    },
    async (request) => doMarkThreadRead(services, appAuth(request), request.params.id, request.body ?? {}),
  );
  app.get<{ Params: P }>('/v1/messages/:id/reads', { config: { auth: 'app' }, schema: { tags, summary: 'Who read the message, and when', params: MessageParams, response: { 200: MessageReads } } }, async (request) =>
    doMessageReads(services, appAuth(request), request.params.id),
  );
  app.post<{ Params: P; Body: ReactionBody }>(
    '/v1/messages/:id/reactions',
    { config: { auth: 'user' }, schema: { tags: ['reactions'], summary: 'React (enforce_unique replaces own other reactions)', params: MessageParams, body: ReactionBody, response: { 200: ReactionResponse } } },
    async (request) => doAddReaction(services, appAuth(request), request.params.id, request.body),
  );
  app.delete<{ Params: { id: string; type: string } }>(
    '/v1/messages/:id/reactions/:type',
    { config: { auth: 'user' }, schema: { tags: ['reactions'], summary: 'Remove own reaction', params: ReactionParams, response: { 200: ReactionResponse } } },
    async (request) => doDeleteReaction(services, appAuth(request), request.params.id, request.params.type),
  );
  app.get<{ Params: P; Querystring: PageQuery }>(
    '/v1/messages/:id/reactions',
    { config: { auth: 'app' }, schema: { tags: ['reactions'], summary: 'Reactions of a message', params: MessageParams, querystring: PageQuery, response: { 200: ReactionList } } },
    async (request) => doListReactions(services, appAuth(request), request.params.id, request.query.limit, request.query.cursor),
  );
  app.post<{ Params: P; Body: PinBody }>(
    '/v1/messages/:id/pin',
    { config: { auth: 'app' }, schema: { tags, summary: 'Pin (optionally until expires_at)', params: MessageParams, body: Type.Optional(PinBody), response: { 200: MessageResponse } } },
    async (request) => ({ message: await doPin(services, appAuth(request), request.params.id, request.body, true) }),
  );
  app.delete<{ Params: P }>('/v1/messages/:id/pin', { config: { auth: 'app' }, schema: { tags, summary: 'Unpin', params: MessageParams, response: { 200: MessageResponse } } }, async (request) => ({
    message: await doPin(services, appAuth(request), request.params.id, undefined, false),
  }));
  app.put<{ Params: P }>('/v1/messages/:id/star', { config: { auth: 'user' }, schema: { tags, summary: 'Star for yourself', params: MessageParams, response: { 200: MessageResponse } } }, async (request) => ({
    message: await doStar(services, appAuth(request), request.params.id, true),
  }));
  app.delete<{ Params: P }>('/v1/messages/:id/star', { config: { auth: 'user' }, schema: { tags, summary: 'Unstar', params: MessageParams, response: { 200: MessageResponse } } }, async (request) => ({
    message: await doStar(services, appAuth(request), request.params.id, false),
  }));
}
