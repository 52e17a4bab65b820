import { BanBody, BanList, BanListQuery, BanParams, BanResponse, ChannelParams } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { doBanUser, doListBans, doUnbanUser } from '../../actions/bans.js';
import type { Services } from '../../services.js';
import { appAuth } from '../guards.js';

type P = { type: string; id: string };
const tags = ['moderation'];

/** Channel bans: hard and shadow (docs/subsystems/moderation.md). Needs `ban_user` in the channel. */
export function registerBanRoutes(app: FastifyInstance, services: Services): void {
  app.post<{ Params: P; Body: BanBody }>(
    '/v1/channels/:type/:id/bans',
    {
      config: { auth: 'app' },
      schema: { tags, summary: 'Ban a user from the channel (hard: removed and kept out; shadow: their messages are visible to them only)', params: ChannelParams, body: BanBody, response: { 201: BanResponse } },
    },
    async (request, reply) => reply.status(201).send(await doBanUser(services, appAuth(request), request.params.type, request.params.id, request.body)),
  );
  app.get<{ Params: P; Querystring: BanListQuery }>(
    '/v1/channels/:type/:id/bans',
    { config: { auth: 'app' }, schema: { tags, summary: 'Bans in force, by user id', params: ChannelParams, querystring: BanListQuery, response: { 200: BanList } } },
    async (request) => doListBans(services, appAuth(request), request.params.type, request.params.id, request.query),
  );
  app.delete<{ Params: P & { user_id: string } }>(
    '/v1/channels/:type/:id/bans/:user_id',
    { config: { auth: 'app' }, schema: { tags, summary: 'Lift a ban (the user is not added back)', params: BanParams, response: { 200: BanResponse } } },
    async (request) => doUnbanUser(services, appAuth(request), request.params.type, request.params.id, request.params.user_id),
  );
}
