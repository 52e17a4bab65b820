import { expect } from 'vitest';
import type { TestApp, TestServer } from '../../../test/support/server.js';

export type Json = Record<string, any>;

/** Request helpers for the users tests, bound to the file's test server. */
export function usersHelpers(server: () => TestServer) {


  function upsert(app: TestApp, users: Json[], token = app.serverToken) {
    return server().request('POST', '/v1/users', { token, body: { users } });
  }

  function query(token: string, params: Record<string, unknown> = {}) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined) search.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
    const qs = search.toString();
    return server().request('GET', `/v1/users${qs ? `?${qs}` : ''}`, { token });
  }

  async function ids(token: string, params: Record<string, unknown> = {}): Promise<string[]> {
    const res = await query(token, { limit: '200', ...params });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.users.map((u: Json) => u.id);
  }

  /** Every page of a query, following `next` until it is null. */
  async function allPages(token: string, params: Record<string, unknown>): Promise<{ ids: string[]; pages: number[] }> {
    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 50; i++) {
      const res = await query(token, { ...params, cursor });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      seen.push(...res.body.users.map((u: Json) => u.id));
      pages.push(res.body.users.length);
      if (res.body.next === null) return { ids: seen, pages };
      expect(typeof res.body.next).toBe('string');
      cursor = res.body.next;
    }
    throw new Error('pagination did not end');
  }

  function expectValidation(res: { status: number; body: any }, field?: string) {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    if (field !== undefined) expect(res.body.error.details.field).toBe(field);
  }

  function expectError(res: { status: number; body: any }, status: number, code: string) {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toBe(code);
  }

  return { upsert, query, ids, allPages, expectValidation, expectError };
}
