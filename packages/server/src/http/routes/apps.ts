import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppList, CreateAppBody, CreateAppResponse, KeyWithSecret, Ok } from '@parley/protocol';
import { doCreateApp, doCreateKey, doDeleteKey, doListApps } from '../../actions/apps.js';
import { publishControl } from '../../events/control.js';
import type { Services } from '../../services.js';

const AppParams = Type.Object({ app_id: Type.String({ maxLength: 64 }) });
const KeyParams = Type.Object({ app_id: Type.String({ maxLength: 64 }), key_id: Type.String({ maxLength: 128 }) });
const tags = ['operator'];

/** Operator routes (PARLEY_ADMIN_TOKEN): apps and their keys. */
export function registerAppRoutes(app: FastifyInstance, services: Services): void {
  app.post<{ Body: CreateAppBody }>(
    '/v1/apps',
    { config: { auth: 'operator' }, schema: { tags, summary: 'Create an app with its first key', body: CreateAppBody, response: { 201: CreateAppResponse } } },
    async (request, reply) => reply.status(201).send(await doCreateApp(services.pool, request.body.name)),
  );
  app.get('/v1/apps', { config: { auth: 'operator' }, schema: { tags, summary: 'List apps and their key ids', response: { 200: AppList } } }, async () => doListApps(services.pool));
  app.post<{ Params: { app_id: string } }>(
    '/v1/apps/:app_id/keys',
    { config: { auth: 'operator' }, schema: { tags, summary: 'Create a key (rotation: old and new both verify until the old one is deleted)', params: AppParams, response: { 201: KeyWithSecret } } },
    async (request, reply) => reply.status(201).send(await doCreateKey(services.pool, request.params.app_id)),
  );
  app.delete<{ Params: { app_id: string; key_id: string } }>(
    '/v1/apps/:app_id/keys/:key_id',
    { config: { auth: 'operator' }, schema: { tags, summary: 'Delete a key; tokens signed with it stop working', params: KeyParams, response: { 200: Ok } } },
    async (request) => {
      await doDeleteKey(services.pool, request.params.app_id, request.params.key_id);
      services.keys.forget(request.params.key_id);
      // Every node closes the WebSocket connections authenticated with the key, and forgets it.
      await publishControl(services.broker, request.params.app_id, { type: 'control.key_deleted', key_id: request.params.key_id }, services.log);
      return { ok: true as const };
    },
  );
}
