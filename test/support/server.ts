import type { FastifyInstance } from 'fastify';
import { createServer, loadConfig, mintToken, type ParleyServer } from '@parley/server';
import { createTestDatabase } from './database.js';

export const ADMIN_TOKEN = 'test-operator-token-0123456789';

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Raw payload, sent as is (malformed JSON tests). */
  payload?: string;
  headers?: Record<string, string>;
}

export interface TestApp {
  appId: string;
  keyId: string;
  secret: string;
  serverToken: string;
  /** A user token for `userId` signed with the app's key. */
  token(userId: string, options?: { expiresIn?: number }): Promise<string>;
  upsertUsers(users: Array<{ id: string; name?: string; role?: string; custom?: Record<string, unknown> }>): Promise<void>;
}

export interface TestServer {
  app: FastifyInstance;
  server: ParleyServer;
  request<T = any>(method: string, url: string, options?: RequestOptions): Promise<Response<T>>;
  createApp(name?: string): Promise<TestApp>;
  close(): Promise<void>;
}

/** A real server on its own fresh database of the run's PostgreSQL; requests go through Fastify's inject. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = loadConfig({ PARLEY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: process.env.PARLEY_TEST_LOG_LEVEL ?? 'silent', DATABASE_URL: database.url, ...env });
  const server = await createServer({ config, databaseUrl: database.url });
  await server.app.ready();

  const request = async <T = any,>(method: string, url: string, options: RequestOptions = {}): Promise<Response<T>> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined = options.payload;
    if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const response = await server.app.inject({ method: method as never, url, headers, payload });
    let body: unknown = response.body;
    try {
      body = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      // not JSON (metrics, docs)
    }
    return { status: response.statusCode, body: body as T, headers: response.headers as Response['headers'] };
  };

  const createApp = async (name = 'test'): Promise<TestApp> => {
    const created = await request('POST', '/v1/apps', { token: ADMIN_TOKEN, body: { name } });
    if (created.status !== 201) throw new Error(`create app failed: ${JSON.stringify(created.body)}`);
    const { app, key_id: keyId, secret } = created.body;
    const serverToken = (await mintToken({ keyId, secret, server: true })).token;
    return {
      appId: app.id,
      keyId,
      secret,
      serverToken,
      token: async (userId, options = {}) => (await mintToken({ keyId, secret, userId, expiresIn: options.expiresIn ?? 3600 })).token,
      upsertUsers: async (users) => {
        const result = await request('POST', '/v1/users', { token: serverToken, body: { users } });
        if (result.status !== 200) throw new Error(`upsert failed: ${JSON.stringify(result.body)}`);
      },
    };
  };

  return {
    app: server.app,
    server,
    request,
    createApp,
    close: async () => {
      await server.close();
      await database.drop();
    },
  };
}
