/**
 * Shared set-up for the centrifuge-js SDK's own integration tests, WebSocket + JSON subset, run
 * against Parley's insecure compatibility gateway (`PARLEY_INSECURE_GATEWAY_PORT`,
 * gateway/insecure.ts). One test file per ported suite, each with its own server:
 *   profile.test.ts              the profile itself (Parley's own checks, not ported)
 *   centrifuge.test.ts           ← src/centrifuge.test.ts
 *   recovery.test.ts             ← src/recovery.test.ts
 *   getstate.test.ts             ← src/getstate.test.ts
 *   transport-recovery.test.ts   ← src/transport_recovery.test.ts
 *
 * Ported from github.com/centrifugal/centrifuge-js (MIT, © Alexander Emelin), which runs them
 * against a Centrifugo started with `client.insecure: true`, presence and history on channels
 * without namespace, a `recovery` namespace (history 100) and a `smallhistory` namespace
 * (history 2). The npm package ships no tests, so they were read from the repository:
 *   src/centrifuge.test.ts           every WebSocket case
 *   src/recovery.test.ts             the stream cases (not the map-subscription ones)
 *   src/getstate.test.ts             all
 *   src/transport_recovery.test.ts   the WebSocket cases (not map subscriptions, not the
 *                                    http_stream/sse fallbacks)
 * Test names, steps and assertions are theirs; what differs:
 * - jest → vitest; the endpoint is the file's server (`useCompatServer`) instead of localhost:8000;
 * - their `apiPublish` (Centrifugo's HTTP server API, POST /api/publish) is a `publish` command
 *   from a second anonymous connection, and their `/api/history` call (getState) a `history`
 *   command from it: the insecure gateway has no server API. Both reply after the publication
 *   is in the channel's stream and delivered, as the HTTP call does;
 * - the HTTP-streaming and SSE variants of `test.each(transportCases)` are not run (Parley serves
 *   WebSocket only).
 * docs/subsystems/realtime.md "Insecure compatibility gateway" lists what was left out and why.
 */
import { afterAll, beforeAll } from 'vitest';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { createServer, loadConfig, type ParleyServer } from '@parley/server';
import { createTestDatabase } from '../../support/database.js';

/** Set by `useCompatServer`'s beforeAll (live bindings: read them inside tests and hooks). */
export let server: ParleyServer;
export let databaseUrl: string;
/** ws://127.0.0.1:<port>/connection/websocket of the insecure gateway. */
export let endpoint: string;
let dropDatabase: () => Promise<void>;
/** Publishes and reads history for the ported tests (their HTTP server API calls). */
let api: Centrifuge;

/** Starts a server with the insecure gateway on a fresh database for the calling test file. */
export function useCompatServer(): void {
  beforeAll(async () => {
    const database = await createTestDatabase();
    dropDatabase = database.drop;
    databaseUrl = database.url;
    server = await createServer({
      config: loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', PARLEY_INSECURE_GATEWAY_PORT: '0' }),
      databaseUrl: database.url,
      // Their Centrifugo configuration: history 100 by default, 2 in the `smallhistory` namespace.
      insecureGateway: { historySize: 100, namespaces: { smallhistory: { historySize: 2 } } },
    });
    const port = await server.insecureGateway!.listen(0, '127.0.0.1');
    endpoint = `ws://127.0.0.1:${port}/connection/websocket`;
    api = new Centrifuge(endpoint, { websocket: WebSocket });
    api.connect();
    await api.ready(5000);
  });

  afterAll(async () => {
    api?.disconnect();
    await server?.close();
    await dropDatabase?.();
  });
}

export async function apiPublish(channel: string, data: any): Promise<void> {
  await api.publish(channel, data);
}

export async function apiHistoryPosition(channel: string): Promise<{ offset: number; epoch: string }> {
  const result = await api.history(channel, { limit: 0 });
  return { offset: result.offset, epoch: result.epoch };
}

export function waitForEvent<T>(emitter: any, event: string, timeout = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for '${event}'`)), timeout);
    emitter.on(event, (ctx: T) => {
      clearTimeout(timer);
      resolve(ctx);
    });
  });
}

export function collectEvents<T>(emitter: any, event: string, count: number, timeout = 5000): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const collected: T[] = [];
    const timer = setTimeout(() => reject(new Error(`timeout collecting ${count} '${event}' events (got ${collected.length})`)), timeout);
    emitter.on(event, (ctx: T) => {
      collected.push(ctx);
      if (collected.length >= count) {
        clearTimeout(timer);
        resolve(collected);
      }
    });
  });
}

export function waitFor(predicate: () => boolean, timeout = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeout) return reject(new Error('timeout waiting for condition'));
      setTimeout(tick, 10);
    };
    tick();
  });
}
