/**
 * The insecure compatibility profile itself (Parley's own checks, not ported): refused in
 * production, opened by `parley start`, isolated from Parley's tables. The ported centrifuge-js
 * suites sit beside this file; support.ts says where they come from.
 */
import { describe, expect, test } from 'vitest';
import { Centrifuge, type PublicationContext } from 'centrifuge';
import WebSocket from 'ws';
import { loadConfig } from '@parley/server';
import { runCli, spawnCli } from '../../support/cli.js';
import { databaseUrl, endpoint, server, useCompatServer, waitForEvent } from './support.js';

useCompatServer();

describe('the insecure compatibility profile', () => {
  test('is refused in production, naming the variable', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production', PARLEY_INSECURE_GATEWAY_PORT: '8001' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'ConfigError', variable: 'PARLEY_INSECURE_GATEWAY_PORT' });
    expect(loadConfig({}).insecureGatewayPort).toBeNull();
    expect(loadConfig({ PARLEY_INSECURE_GATEWAY_PORT: '8001' }).insecureGatewayPort).toBe(8001);
  });

  test('`parley start` opens it from PARLEY_INSECURE_GATEWAY_PORT, and refuses it in production (exit 2)', async () => {
    const cli = spawnCli(['start'], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, PARLEY_INSECURE_GATEWAY_PORT: '0' });
    try {
      const [, url] = await cli.waitFor(/INSECURE\s+(ws:\/\/127\.0\.0\.1:\d+\/connection\/websocket)/, 45_000);
      const c = new Centrifuge(url!, { websocket: WebSocket });
      c.connect();
      await c.ready(5000);
      const sub = c.newSubscription('anything');
      const got = waitForEvent<PublicationContext>(sub, 'publication');
      sub.subscribe();
      await sub.ready(5000);
      await sub.publish({ from: 'the cli' });
      expect((await got).data).toEqual({ from: 'the cli' });
      c.disconnect();
    } finally {
      cli.kill();
    }
    const refused = await runCli(['start'], { PORT: '0', NODE_ENV: 'production', DATABASE_URL: databaseUrl, PARLEY_INSECURE_GATEWAY_PORT: '0' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('PARLEY_INSECURE_GATEWAY_PORT');
  }, 60_000);

  test('serves only the WebSocket endpoint, and its channels never reach Parley\'s tables', async () => {
    const http = await fetch(endpoint.replace('ws:', 'http:').replace('/connection/websocket', '/v1/me'));
    expect(http.status).toBe(404);
    const c = new Centrifuge(endpoint, { websocket: WebSocket });
    c.connect();
    await c.ready(5000);
    const sub = c.newSubscription('chat:messaging:general');
    const got = waitForEvent<PublicationContext>(sub, 'publication');
    sub.subscribe();
    await sub.ready(5000);
    await sub.publish({ text: 'anonymous' });
    expect((await got).data).toEqual({ text: 'anonymous' });
    const rows = await server.services.pool.query<{ n: string }>('select (select count(*) from events) + (select count(*) from messages) as n');
    expect(Number(rows.rows[0]!.n)).toBe(0);
    c.disconnect();
  });
});
