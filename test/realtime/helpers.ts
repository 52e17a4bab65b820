/** Shared set-up for the realtime tests: a listening server, the real `centrifuge` client over `ws`. */
import type { AddressInfo } from 'node:net';
import { Centrifuge, type Options, type PublicationContext, type Subscription } from 'centrifuge';
import WebSocket from 'ws';
import { expect } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

export interface RealtimeServer {
  t: TestServer;
  /** ws://127.0.0.1:<port>/connection/websocket */
  url: string;
  port: number;
}

export async function startRealtimeServer(env: Record<string, string> = {}): Promise<RealtimeServer> {
  const t = await startTestServer(env);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (t.app.server.address() as AddressInfo).port;
  return { t, port, url: `ws://127.0.0.1:${port}/connection/websocket` };
}

/** A centrifuge client (not yet connected) that the test stops at the end with `stopAll`. */
const clients: Centrifuge[] = [];
export function client(url: string, options: Partial<Options> = {}): Centrifuge {
  const c = new Centrifuge(url, { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 300, timeout: 5_000, ...options });
  clients.push(c);
  return c;
}

export function stopAll(): void {
  for (const c of clients.splice(0)) c.disconnect();
}

export function connected(c: Centrifuge): Promise<void> {
  if (c.state === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    c.once('connected', () => resolve());
    c.once('disconnected', (ctx) => reject(new Error(`disconnected: ${ctx.code} ${ctx.reason}`)));
  });
}

/** Collects the data of every publication of a subscription. */
export function collect(sub: Subscription): Array<Record<string, any>> {
  const seen: Array<Record<string, any>> = [];
  sub.on('publication', (ctx: PublicationContext) => seen.push({ ...ctx.data, __offset: ctx.offset }));
  return seen;
}

/** Waits until `check` passes (polling), or fails with its last error. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw WebSocket speaking the protocol by hand (malformed frames, no pongs...). */
export interface RawClient {
  ws: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  send(...commands: unknown[]): void;
  sendRaw(text: string | Buffer): void;
  /** Waits for the reply to command `id`. */
  reply(id: number): Promise<any>;
}

export async function rawClient(url: string): Promise<RawClient> {
  const ws = new WebSocket(url);
  const messages: any[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data) => {
    for (const line of data.toString().split('\n')) if (line.trim()) messages.push(JSON.parse(line));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    send: (...commands) => ws.send(commands.map((c) => JSON.stringify(c)).join('\n')),
    sendRaw: (text) => ws.send(text),
    reply: async (id) => {
      let found: any;
      await eventually(() => {
        found = messages.find((m) => m.id === id);
        expect(found, `reply ${id}`).toBeDefined();
      });
      return found;
    },
  };
}
