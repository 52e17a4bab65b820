import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { migrationsApplied } from '../../db/migrate.js';
import type { Services } from '../../services.js';

const Health = Type.Object({ status: Type.String(), checks: Type.Optional(Type.Record(Type.String(), Type.String())) });

export function registerHealthRoutes(app: FastifyInstance, services: Services): void {
  app.get('/healthz', { config: { auth: 'none' }, schema: { tags: ['health'], summary: 'The process is alive', response: { 200: Health } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { config: { auth: 'none' }, schema: { tags: ['health'], summary: 'The database is reachable and migrations are applied', response: { 200: Health, 503: Health } } },
    async (request, reply) => {
      const checks: Record<string, string> = {};
      try {
        checks.database = 'ok';
        checks.migrations = (await migrationsApplied(services.pool, services.migrations)) ? 'ok' : 'pending';
      } catch (error) {
        // The cause goes to the log, not to whoever can reach this public route.
        request.log.warn({ err: error }, 'readiness check: database unreachable');
        checks.database = 'unreachable';
      }
      const ready = checks.database === 'ok' && checks.migrations === 'ok';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
    },
  );
}
