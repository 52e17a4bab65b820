import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  AppBanBody,
  CreateTokenBody,
  DeleteUserQuery,
  Id,
  MeResponse,
  QueryUsersQuery,
  TokenResponse,
  UpdateUserBody,
  UpsertUsersBody,
  UserPage,
  UserResponse,
  UsersResponse,
} from '@parley/protocol';
import { doDeleteUser, doGetUser, doQueryUsers, doSetDeactivated, doUpdateUser, doUpsertUsers } from '../../actions/users.js';
import { mintToken } from '../../auth/sign.js';
import { loadMeExtras } from '../../actions/me.js';
import { findKey } from '../../db/apps.js';
import { doBanFromApp, doUnbanFromApp } from '../../actions/app-bans.js';
import { toUser } from '../../db/users.js';
import { unauthorized } from '../../errors.js';
import type { Services } from '../../services.js';
import { actingUser, appAuth } from '../guards.js';

const UserParams = Type.Object({ id: Id });
const tags = ['users'];

export function registerUserRoutes(app: FastifyInstance, services: Services): void {
  app.post<{ Body: UpsertUsersBody }>(
    '/v1/users',
    { config: { auth: 'server' }, schema: { tags, summary: 'Create or update up to 100 users', body: UpsertUsersBody, response: { 200: UsersResponse } } },
    async (request) => ({ users: await doUpsertUsers(services, appAuth(request).appId, request.body.users) }),
  );
  app.get<{ Querystring: QueryUsersQuery }>(
    '/v1/users',
    { config: { auth: 'app' }, schema: { tags, summary: 'Query users (filter, sort, cursor)', querystring: QueryUsersQuery, response: { 200: UserPage } } },
    async (request) => doQueryUsers(services, appAuth(request), request.query),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/users/:id',
    { config: { auth: 'app' }, schema: { tags, summary: 'Get a user', params: UserParams, response: { 200: UserResponse } } },
    async (request) => ({ user: await doGetUser(services, appAuth(request), request.params.id) }),
  );
  app.patch<{ Params: { id: string }; Body: UpdateUserBody }>(
    '/v1/users/:id',
    { config: { auth: 'app' }, schema: { tags, summary: 'Update a user (self: name, image, custom)', params: UserParams, body: UpdateUserBody, response: { 200: UserResponse } } },
    async (request) => ({ user: await doUpdateUser(services, appAuth(request), request.params.id, request.body) }),
  );
  app.post<{ Params: { id: string } }>(
    '/v1/users/:id/deactivate',
    { config: { auth: 'app' }, schema: { tags, summary: 'Deactivate: the user can no longer sign in', params: UserParams, response: { 200: UserResponse } } },
    async (request) => ({ user: await doSetDeactivated(services, appAuth(request), request.params.id, true) }),
  );
  app.post<{ Params: { id: string } }>(
    '/v1/users/:id/reactivate',
    { config: { auth: 'app' }, schema: { tags, summary: 'Reactivate a deactivated user', params: UserParams, response: { 200: UserResponse } } },
    async (request) => ({ user: await doSetDeactivated(services, appAuth(request), request.params.id, false) }),
  );
  app.post<{ Params: { id: string }; Body: AppBanBody }>(
    '/v1/users/:id/ban',
    {
      config: { auth: 'app' },
      schema: { tags, summary: 'Ban from the whole app (hard: reads only; shadow: writes visible to the user alone)', params: UserParams, body: Type.Optional(AppBanBody), response: { 200: UserResponse } },
    },
    async (request) => doBanFromApp(services, appAuth(request), request.params.id, request.body ?? {}),
  );
  app.delete<{ Params: { id: string } }>(
    '/v1/users/:id/ban',
    { config: { auth: 'app' }, schema: { tags, summary: 'Lift an app-wide ban', params: UserParams, response: { 200: UserResponse } } },
    async (request) => doUnbanFromApp(services, appAuth(request), request.params.id),
  );
  app.delete<{ Params: { id: string }; Querystring: DeleteUserQuery }>(
    '/v1/users/:id',
    {
      config: { auth: 'app' },
      schema: { tags, summary: 'Delete a user (soft: anonymised, hard: removed)', params: UserParams, querystring: DeleteUserQuery, response: { 200: Type.Object({ user: Type.Union([UserResponse.properties.user, Type.Null()]) }) } },
    },
    async (request) => doDeleteUser(services, appAuth(request), request.params.id, request.query),
  );
  app.get('/v1/me', { config: { auth: 'user' }, schema: { tags, summary: 'Own user, unread totals, mutes, blocks, devices', response: { 200: MeResponse } } }, async (request) => {
    const user = actingUser(request);
    const auth = appAuth(request);
    const extras = await loadMeExtras(services.pool, auth.appId, user.id);
    return { user: toUser(user), ...extras, mutes: [], devices: [] };
  });
  app.post<{ Body: CreateTokenBody }>(
    '/v1/tokens',
    { config: { auth: 'server' }, schema: { tags: ['auth'], summary: 'Mint a user token signed with the calling key', body: CreateTokenBody, response: { 201: TokenResponse } } },
    async (request, reply) => {
      const auth = appAuth(request);
      const key = await findKey(services.pool, auth.appId, auth.keyId);
      if (!key) throw unauthorized('key was deleted');
      const { token, expiresAt } = await mintToken({ keyId: key.key_id, secret: key.secret, userId: request.body.user_id, expiresIn: request.body.expires_in });
      return reply.status(201).send({ token, expires_at: expiresAt ? expiresAt.toISOString() : null });
    },
  );
}
