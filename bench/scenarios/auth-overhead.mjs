/**
 * auth-overhead: what authentication (jose verify, key/app/user caches, rate-limit hook) costs
 * on the cheapest authenticated route. GET /v1/me with a user token, against a bare Fastify 5
 * route measured the same way in the same run; then /v1/me at a fixed offered rate.
 */
import os from 'node:os';
import { createApp, get, patchApp } from '../lib/api.mjs';
import { startBare } from '../lib/bare.mjs';
import { load } from '../lib/load.mjs';
import { startParley } from '../lib/parley.mjs';
import { serverToken, userToken } from '../lib/tokens.mjs';

export const description = 'GET /v1/me (user token) vs a bare Fastify route: max req/s, p50/p99; p99 at 2,000 req/s offered';

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 5;
const FIXED_RATE = 2_000;
const WARMUP_S = 3;
const UNTHROTTLED = { settings: { limits: { requests_per_second_per_user: 1_000_000, requests_per_second_per_app: 10_000_000 } } };

/** Upper bound on the scenario's running time, in seconds, for the runner's deadline. */
export const maxSeconds = ({ duration }) => 240 + 5 * duration;

export async function run({ duration = 10, connections = 50 }) {
  const [parley, bare] = await Promise.all([startParley({ logLevel: process.env.BENCH_LOG_LEVEL }), startBare()]);
  try {
    const created = await createApp(parley.url, parley.adminToken, 'bench-auth-overhead');
    await patchApp(parley.url, await serverToken(created.key_id, created.secret), UNTHROTTLED);
    const token = await userToken(created.key_id, created.secret, 'bench-user');
    await get(parley.url, '/v1/me', token); // creates the user
    const me = { url: `${parley.url}/v1/me`, headers: { authorization: `Bearer ${token}` } };

    console.error(`bench: warming up ${WARMUP_S} s each`);
    await load({ ...me, duration: WARMUP_S, connections });
    await load({ url: bare.url, duration: WARMUP_S, connections });

    console.error(`bench: GET /v1/me, ${duration} s, ${connections} connections`);
    const meRun = await load({ ...me, duration, connections });
    console.error(`bench: GET /bare, ${duration} s, ${connections} connections`);
    const bareRun = await load({ url: bare.url, duration, connections });
    console.error(`bench: GET /v1/me at ${FIXED_RATE} req/s offered, ${duration} s, ${connections} connections`);
    const fixedRun = await load({ ...me, duration, connections, overallRate: FIXED_RATE });

    const runs = [meRun, bareRun, fixedRun];
    const ratio = Number((meRun.rps / bareRun.rps).toFixed(3));
    return {
      scenario: 'auth-overhead',
      me_rps: meRun.rps,
      bare_rps: bareRun.rps,
      ratio,
      me_p50_ms: meRun.p50_ms,
      me_p99_ms: meRun.p99_ms,
      bare_p50_ms: bareRun.p50_ms,
      bare_p99_ms: bareRun.p99_ms,
      fixed_rate_offered: FIXED_RATE,
      fixed_rate_rps: fixedRun.rps,
      fixed_rate_p50_ms: fixedRun.p50_ms,
      fixed_rate_p99_ms: fixedRun.p99_ms,
      fixed_rate_max_ms: fixedRun.max_ms,
      ratio_target_met: ratio >= TARGET_RATIO,
      p99_target_met: fixedRun.p99_ms !== null && fixedRun.p99_ms < TARGET_P99_MS,
      non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
      errors: runs.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
      valid: runs.every((r) => r.non2xx === 0 && r.errors === 0 && r.timeouts === 0 && r.requests > 0),
      duration_s: duration,
      connections,
      database: process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'embedded',
      node: process.version,
      cpus: os.cpus().length,
      date: new Date().toISOString(),
    };
  } finally {
    await Promise.all([parley.stop(), bare.stop()]);
  }
}
