/** Shared set-up of the SDK tests: a real server (real PostgreSQL) listening on a port, and clients. */
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { expect } from 'vitest';
import { ParleyClient, type ParleyClientOptions } from '@parley/client';
import { makeApp } from '../../../test/conversations/helpers.js';
import { startTestServer, type TestApp, type TestServer } from '../../../test/support/server.js';

export interface SdkWorld {
  t: TestServer;
  app: TestApp;
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  tokens: Record<string, string>;
  /** A client for `user` (not connected); closed by `closeClients`. */
  client(user: string, options?: Partial<ParleyClientOptions>): ParleyClient;
  closeClients(): Promise<void>;
  close(): Promise<void>;
}

export async function startSdkWorld(users: string[], env: Record<string, string> = {}): Promise<SdkWorld> {
  const t = await startTestServer(env);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (t.app.server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const { app, tokens } = await makeApp(t, users);
  const clients: ParleyClient[] = [];
  return {
    t,
    app,
    url,
    port,
    tokens,
    client: (user, options = {}) => {
      const c = new ParleyClient({ url, tokenProvider: () => tokens[user]!, userId: user, WebSocket, reconnectDelay: { min: 50, max: 300 }, outbox: { minDelayMs: 50, maxDelayMs: 300 }, ...options });
      clients.push(c);
      return c;
    },
    closeClients: async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    },
    close: async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      const started = Date.now();
      const slow = setTimeout(() => console.warn(`server close still running after 10 s (${JSON.stringify((t.app.server as any)._connections)} connections)`), 10_000);
      // Keep-alive sockets of the clients' fetch would hold the HTTP server open.
      setTimeout(() => t.app.server.closeAllConnections(), 2_500).unref();
      await t.close();
      clearTimeout(slow);
      if (Date.now() - started > 10_000) console.warn(`server close took ${Date.now() - started} ms`);
    },
  };
}

/** Waits until `check` passes (polling), or fails with its last error. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Creates a channel as `owner` through REST; returns its cid. */
export async function createChannel(w: SdkWorld, owner: string, body: Record<string, unknown>): Promise<string> {
  const res = await w.t.request('POST', '/v1/channels', { token: w.tokens[owner], body });
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  return res.body.channel.cid;
}

/** Every message of a channel on the server (oldest first), read as `user`. */
export async function serverMessages(w: SdkWorld, user: string, cid: string): Promise<any[]> {
  const [type, id] = cid.split(':');
  const res = await w.t.request('GET', `/v1/channels/${type}/${id}/messages?limit=200`, { token: w.tokens[user] });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.messages;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
