import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppDetail, ChannelTypeList, ChannelTypeName, ChannelTypeResponse, PatchAppBody, PutChannelTypeBody } from '@parley/protocol';
import { doGetApp, doPatchApp } from '../../actions/apps.js';
import { getChannelType, listChannelTypes, putChannelType } from '../../actions/channel-types.js';
import type { Services } from '../../services.js';
import { appAuth } from '../guards.js';
import { publishControl } from '../../events/control.js';

const TypeParams = Type.Object({ type: ChannelTypeName });

/** App settings and channel types. Reading types is open to the app's users (the SDK needs the config). */
export function registerAppSettingsRoutes(app: FastifyInstance, services: Services): void {
  app.get('/v1/app', { config: { auth: 'server' }, schema: { tags: ['app'], summary: 'App settings and effective limits', response: { 200: AppDetail } } }, async (request) =>
    doGetApp(services.pool, appAuth(request).appId),
  );
  app.patch<{ Body: PatchAppBody }>(
    '/v1/app',
    { config: { auth: 'server' }, schema: { tags: ['app'], summary: 'Update app settings (limits merge; other keys replace)', body: PatchAppBody, response: { 200: AppDetail } } },
    async (request) => doPatchApp(services, appAuth(request).appId, request.body),
  );
  app.get('/v1/channel-types', { config: { auth: 'app' }, schema: { tags: ['channel types'], summary: 'Every channel type of the app', response: { 200: ChannelTypeList } } }, async (request) => ({
    channel_types: await listChannelTypes(services.pool, appAuth(request).appId),
  }));
  app.get<{ Params: { type: string } }>(
    '/v1/channel-types/:type',
    { config: { auth: 'app' }, schema: { tags: ['channel types'], summary: 'One channel type', params: TypeParams, response: { 200: ChannelTypeResponse } } },
    async (request) => ({ channel_type: await getChannelType(services.pool, appAuth(request).appId, request.params.type) }),
  );
  app.put<{ Params: { type: string }; Body: PutChannelTypeBody }>(
    '/v1/channel-types/:type',
    {
      config: { auth: 'server' },
      schema: { tags: ['channel types'], summary: 'Create or update a type: config merges, grants replace', params: TypeParams, body: PutChannelTypeBody, response: { 200: ChannelTypeResponse } },
    },
    async (request) => {
      const appId = appAuth(request).appId;
      const channelType = await putChannelType(services.pool, appId, request.params.type, request.body);
      services.channelTypes.delete(`${appId}/${request.params.type}`);
      // Watchers of channels of the type whose read grant went away stop watching (every node).
      if (request.body.grants) await publishControl(services.broker, appId, { type: 'control.access_changed', channel_type: request.params.type }, services.log);
      return { channel_type: channelType };
    },
  );
}
