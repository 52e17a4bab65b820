/** Shared set-up for the conversation tests: a server, an app with raised limits, users, channels. */
import type pg from 'pg';
import { expect } from 'vitest';
import { startTestServer, type Response, type TestApp, type TestServer } from '../support/server.js';

export interface World {
  t: TestServer;
  app: TestApp;
  /** User tokens by user id. */
  tokens: Record<string, string>;
  db: pg.Pool;
}

export interface Channel {
  type: string;
  id: string;
  cid: string;
  /** `/v1/channels/{type}/{id}` */
  path: string;
}

export const HIGH_LIMITS = { messages_per_minute_per_user: 100_000, requests_per_second_per_user: 100_000, requests_per_second_per_app: 1_000_000 };

export async function patchApp(t: TestServer, app: TestApp, settings: Record<string, unknown>): Promise<void> {
  const res = await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** A fresh app on `t` with the given users and (unless `limits` is given) raised rate limits. */
export async function makeApp(t: TestServer, userIds: string[], limits: Record<string, number> = HIGH_LIMITS): Promise<{ app: TestApp; tokens: Record<string, string> }> {
  const app = await t.createApp();
  await patchApp(t, app, { limits });
  await app.upsertUsers(userIds.map((id) => ({ id, name: id[0]!.toUpperCase() + id.slice(1) })));
  const tokens: Record<string, string> = {};
  for (const id of userIds) tokens[id] = await app.token(id);
  return { app, tokens };
}

export async function startWorld(userIds: string[]): Promise<World> {
  const t = await startTestServer();
  const { app, tokens } = await makeApp(t, userIds);
  return { t, app, tokens, db: t.server.services.pool };
}

export function channelOf(cid: string): Channel {
  const [type, id] = cid.split(':') as [string, string];
  return { type, id, cid, path: `/v1/channels/${type}/${id}` };
}

/** POST /v1/channels as `token`; expects 200/201. */
export async function createChannel(t: TestServer, token: string, body: Record<string, unknown>): Promise<Channel> {
  const res = await t.request('POST', '/v1/channels', { token, body });
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  return channelOf(res.body.channel.cid);
}

/** PUT /v1/channel-types/{type} (server token): a custom type merges its config over messaging's. */
export async function putType(t: TestServer, app: TestApp, type: string, config: Record<string, unknown>): Promise<void> {
  const res = await t.request('PUT', `/v1/channel-types/${type}`, { token: app.serverToken, body: { config } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

export function send(t: TestServer, token: string, channel: Channel, body: Record<string, unknown>, headers?: Record<string, string>): Promise<Response> {
  return t.request('POST', `${channel.path}/messages`, { token, body, headers });
}

/** Sends and expects 201; returns the message. */
export async function sendOk(t: TestServer, token: string, channel: Channel, body: Record<string, unknown>): Promise<any> {
  const res = await send(t, token, channel, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message;
}

export function expectError(res: Response, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` over `items` with at most `width` in flight. */
export async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}
