import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';

/**
 * `GET /connection/websocket` is the WebSocket gateway (gateway/gateway.ts takes its upgrade
 * requests before Fastify sees them). Public at the HTTP level: the token travels in the
 * protocol's `connect` command. A plain GET (no upgrade) gets this 400.
 */
export function registerRealtimeRoutes(app: FastifyInstance): void {
  app.get(
    '/connection/websocket',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['realtime'],
        summary: "WebSocket gateway (Centrifugo client protocol, JSON): connect with the `centrifuge` client; the connection token is the user token",
      },
    },
    async () => {
      throw new ApiError('VALIDATION_ERROR', 'this endpoint speaks WebSocket: send an Upgrade request (use the centrifuge client)', { field: 'upgrade' });
    },
  );
}
