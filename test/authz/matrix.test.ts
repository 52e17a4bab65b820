/**
 * The authorization matrix: every route × every actor → the expected status. A route without a
 * row fails the coverage test, so a new route cannot ship without deciding who may call it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { ACTORS, buildWorld, type World } from './actors.js';
import { ROWS } from './routes.js';

let t: TestServer;
let world: World;

beforeAll(async () => {
  t = await startTestServer();
  world = await buildWorld(t);
});
afterAll(() => t.close());

describe('authorization matrix', () => {
  it('has rows for every registered route', () => {
    const covered = new Set(ROWS.map((r) => r.route));
    const missing = t.app.parleyRoutes
      .map((r) => `${r.method} ${r.url}`)
      // The docs UI's static asset routes are one public surface, covered by the GET /docs/ row.
      .filter((route) => !/^GET \/docs/.test(route))
      .filter((route) => !covered.has(route));
    expect(missing).toEqual([]);
  });

  for (const row of ROWS) {
    describe(`${row.route}${row.label ? ` (${row.label})` : ''}`, () => {
      for (const actor of ACTORS) {
        it(`${actor} → ${row.expect[actor]}`, async () => {
          const call = await row.call(world, actor);
          const [method] = row.route.split(' ');
          const response = await t.request(method!, call.url, { token: world.tokens[actor], body: call.body });
          expect(response.status, JSON.stringify(response.body)).toBe(row.expect[actor]);
          if (response.status >= 400) {
            // One error shape everywhere, with the registry's code for the status.
            const code = { 400: 'VALIDATION_ERROR', 401: 'UNAUTHORIZED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND' }[response.status];
            expect(response.body.error.code).toBe(code);
          }
        });
      }
    });
  }
});
