import type { FastifyInstance } from 'fastify';
import { DEFAULT_LIMITS } from '../engines/rate-limiter.js';
import { ApiError } from '../errors.js';
import type { Services } from '../services.js';
import { checkLevel } from './guards.js';

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Authenticates every request before its body is read, checks the route's auth level, then
 * applies the per-user and per-app rate limits of the caller's app.
 */
export function installAuthHook(app: FastifyInstance, services: Services): void {
  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request, reply) => {
    // Routes declare their level; the docs UI's asset routes and unmatched URLs (→ 404) are public;
    // anything else undeclared needs a user.
    const url = request.routeOptions.url;
    const level = request.routeOptions.config.auth ?? (url === undefined || url.startsWith('/docs') ? 'none' : 'user');
    if (level === 'none') return;
    const auth = await services.authenticator.authenticate({
      authorization: header(request.headers.authorization),
      apiKey: header(request.headers['x-api-key']),
      actAs: header(request.headers['x-parley-user']),
    });
    request.auth = auth;
    checkLevel(auth, level);
    if (!auth || auth.kind === 'operator') return;

    const appRow = await services.apps.get(auth.appId);
    const limits = { ...DEFAULT_LIMITS, ...(appRow?.settings.limits ?? {}) };
    const checks = [services.rateLimiter.hit(`a:${auth.appId}`, limits.requests_per_second_per_app, 1)];
    if (auth.user && auth.kind === 'user') {
      checks.push(services.rateLimiter.hit(`u:${auth.appId}:${auth.user.id}`, limits.requests_per_second_per_user, 1));
    }
    let results;
    try {
      results = await Promise.all(checks);
    } catch (error) {
      // A rate-limit store outage must not take the API down: fail open, loudly.
      request.log.warn({ err: error }, 'rate limiter unavailable; request allowed');
      return;
    }
    const denied = results.find((r) => !r.allowed);
    if (denied) {
      reply.header('retry-after', String(denied.retryAfter));
      throw new ApiError('RATE_LIMITED', 'too many requests', undefined, denied.retryAfter);
    }
  });
}
