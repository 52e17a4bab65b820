import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { installAuthHook } from './auth-hook.js';
import { OneLinePerRequest } from './request-log.js';
import { installErrorHandlers } from './error-handler.js';
import { installMetrics } from './metrics.js';
import { installOpenApi } from './openapi.js';
import { registerAppSettingsRoutes } from './routes/app-settings.js';
import { registerAppRoutes } from './routes/apps.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerUserRoutes } from './routes/users.js';
import { registerBanRoutes } from './routes/bans.js';
import { registerChannelRoutes } from './routes/channels.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerMeRoutes } from './routes/me.js';
import { registerRealtimeRoutes } from './routes/realtime.js';
import { validatorCompiler } from './validation.js';

export interface RouteInfo {
  method: string;
  url: string;
  auth: string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    parleyRoutes: RouteInfo[];
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the HTTP app: hooks, error handling, docs, metrics and every route. */
export async function buildHttpApp(services: Services): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: services.log as FastifyBaseLogger,
    bodyLimit: services.config.bodyLimit,
    requestIdHeader: false,
    // Honour a caller's request id when it is sane, so logs line up across services.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    forceCloseConnections: false,
    return503OnClosing: true,
    logController: new OneLinePerRequest(),
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setValidatorCompiler(validatorCompiler);
  // Every route with its auth level: the authorization tests fail when a route has no rows.
  const routes: RouteInfo[] = [];
  app.decorate('parleyRoutes', routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, auth: route.config?.auth });
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandlers(app);
  installAuthHook(app, services);
  installMetrics(app);
  await installOpenApi(app);
  registerHealthRoutes(app, services);
  registerAppRoutes(app, services);
  registerAppSettingsRoutes(app, services);
  registerUserRoutes(app, services);
  registerChannelRoutes(app, services);
  registerBanRoutes(app, services);
  registerMessageRoutes(app, services);
  registerMeRoutes(app, services);
  registerRealtimeRoutes(app);
  return app;
}
