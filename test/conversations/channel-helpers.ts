/**
 * Helpers for the conversation tests: a test server with one or more apps whose rate limits are
 * raised, a token cache, and thin wrappers over the REST routes that assert success.
 */
import { expect } from 'vitest';
import { startTestServer, type Response, type TestApp, type TestServer } from '../support/server.js';

export const SERVER = '$server';

export const HIGH_LIMITS = { settings: { limits: { messages_per_minute_per_user: 100_000, requests_per_second_per_user: 100_000 } } };

/** Requests as a user (by id) or as the app's server token (`SERVER`), with cached tokens. */
export class Api {
  private readonly tokens = new Map<string, string>();
  constructor(
    readonly t: TestServer,
    readonly app: TestApp,
  ) {}

  async token(as: string): Promise<string> {
    if (as === SERVER) return this.app.serverToken;
    let token = this.tokens.get(as);
    if (!token) this.tokens.set(as, (token = await this.app.token(as)));
    return token;
  }

  async req<T = any>(as: string, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Response<T>> {
    return this.t.request<T>(method, url, { token: await this.token(as), body, headers });
  }

  /** The request must succeed (2xx); returns the body. */
  async ok<T = any>(as: string, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const res = await this.req<T>(as, method, url, body, headers);
    expect(res.status, `${as} ${method} ${url} → ${res.status} ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(200);
    expect(res.status, `${as} ${method} ${url} → ${res.status} ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res.body;
  }

  // ---- channels -------------------------------------------------------------------------------
  async create(as: string, body: Record<string, unknown>): Promise<any> {
    return this.ok(as, 'POST', '/v1/channels', body);
  }
  async state(as: string, cid: string, query = ''): Promise<any> {
    return this.ok(as, 'GET', `${ch(cid)}${query ? '?' + query : ''}`);
  }
  async send(as: string, cid: string, body: string | Record<string, unknown>): Promise<any> {
    const payload = typeof body === 'string' ? { text: body } : body;
    return (await this.ok(as, 'POST', `${ch(cid)}/messages`, payload)).message;
  }
  async query(as: string, body: Record<string, unknown>): Promise<any> {
    return this.ok(as, 'POST', '/v1/channels/query', body);
  }
  /** Ids of the channels a query returns, in order (every page). */
  async queryIds(as: string, filter: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const res = await this.query(as, { filter, limit: 100, message_limit: 0, member_limit: 0, ...extra, ...(cursor ? { cursor } : {}) });
      ids.push(...res.channels.map((c: any) => c.channel.id));
      if (!res.next) return ids;
      cursor = res.next;
    }
    throw new Error('too many pages');
  }
  async addMembers(as: string, cid: string, userIds: string[], extra: Record<string, unknown> = {}): Promise<any> {
    return this.ok(as, 'POST', `${ch(cid)}/members`, { user_ids: userIds, ...extra });
  }
  async removeMembers(as: string, cid: string, userIds: string[]): Promise<any> {
    return this.ok(as, 'DELETE', `${ch(cid)}/members`, { user_ids: userIds });
  }
  async membership(as: string, cid: string, body: Record<string, unknown>): Promise<any> {
    return (await this.ok(as, 'PATCH', `${ch(cid)}/membership`, body)).membership;
  }
  async markRead(as: string, cid: string, body: Record<string, unknown> = {}): Promise<any> {
    return this.ok(as, 'POST', `${ch(cid)}/read`, body);
  }
  async unread(as: string): Promise<any> {
    return this.ok(as, 'GET', '/v1/me/unread');
  }
  async sync(as: string, since?: string, cids?: string[]): Promise<any> {
    return this.ok(as, 'POST', '/v1/sync', { ...(since ? { since } : {}), ...(cids ? { cids } : {}) });
  }
  /** Every event since `since`, following has_more pages; returns the events and the final cursor. */
  async syncAll(as: string, since: string): Promise<{ events: any[]; cursor: string; pages: number }> {
    const events: any[] = [];
    let cursor = since;
    for (let pages = 1; pages < 100; pages++) {
      const res = await this.sync(as, cursor);
      events.push(...res.events);
      cursor = res.cursor;
      if (!res.has_more) return { events, cursor, pages };
    }
    throw new Error('sync never ended');
  }
}

export function ch(cid: string): string {
  const at = cid.indexOf(':');
  return `/v1/channels/${cid.slice(0, at)}/${encodeURIComponent(cid.slice(at + 1))}`;
}

export function expectError(res: Response, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body?.error?.code, JSON.stringify(res.body)).toBe(code);
}

export async function raiseLimits(t: TestServer, app: TestApp): Promise<void> {
  const res = await t.request('PATCH', '/v1/app', { token: app.serverToken, body: HIGH_LIMITS });
  if (res.status !== 200) throw new Error(`raise limits failed: ${JSON.stringify(res.body)}`);
}

export interface World {
  t: TestServer;
  app: TestApp;
  api: Api;
}

/** A server, one app with high limits and the given users (id → display name). */
export async function startWorld(users: Record<string, string>): Promise<World> {
  const t = await startTestServer();
  const world = await addApp(t, 'conversations', users);
  return { t, ...world };
}

export async function addApp(t: TestServer, name: string, users: Record<string, string>): Promise<{ app: TestApp; api: Api }> {
  const app = await t.createApp(name);
  await raiseLimits(t, app);
  const list = Object.entries(users).map(([id, userName]) => ({ id, name: userName }));
  for (let i = 0; i < list.length; i += 100) await app.upsertUsers(list.slice(i, i + 100));
  return { app, api: new Api(t, app) };
}

/** Message texts of a state or page, in order. */
export const texts = (messages: any[]): string[] => messages.map((m) => m.text);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
