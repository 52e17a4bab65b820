/**
 * auth-overhead: what an authenticated request costs next to a bare Fastify 5 route measured the
 * same way in the same run. GET /v1/me with a user token (auth hook: jose verify, key/app/user
 * caches, rate limits; then the handler), GET /healthz (Parley's request pipeline, no auth) and
 * GET /bare at max rate; then /v1/me at 2,000 req/s offered, with autocannon's overallRate and
 * evenly paced (with the bare route paced too, as this machine's noise floor).
 */
import os from 'node:os';
import { createApp, get, patchApp } from '../lib/api.mjs';
import { startBare } from '../lib/bare.mjs';
import { load } from '../lib/load.mjs';
import { paced } from '../lib/paced.mjs';
import { startParley } from '../lib/parley.mjs';
import { serverToken, userToken } from '../lib/tokens.mjs';

export const description = 'GET /v1/me (user token) vs a bare Fastify route: max req/s, p50/p99; p99 at 2,000 req/s offered';

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 5;
const FIXED_RATE = 2_000;
const WARMUP_S = 3;
const UNTHROTTLED = { settings: { limits: { requests_per_second_per_user: 1_000_000, requests_per_second_per_app: 10_000_000 } } };

/** Upper bound on the scenario's running time, in seconds, for the runner's deadline. */
export const maxSeconds = ({ duration }) => 240 + 10 * duration;

/** Creates an app with limits out of the way; returns the /v1/me target for a user token. */
async function setUp(parley) {
  const created = await createApp(parley.url, parley.adminToken, 'bench-auth-overhead');
  await patchApp(parley.url, await serverToken(created.key_id, created.secret), UNTHROTTLED);
  const token = await userToken(created.key_id, created.secret, 'bench-user');
  await get(parley.url, '/v1/me', token); // first use creates the user
  return { url: `${parley.url}/v1/me`, headers: { authorization: `Bearer ${token}` }, pid: parley.pid };
}

export async function run({ duration = 10, connections = 50 }) {
  const [parley, bare] = await Promise.all([startParley({ logLevel: process.env.BENCH_LOG_LEVEL }), startBare()]);
  try {
    const me = await setUp(parley);
    const health = { url: `${parley.url}/healthz`, pid: parley.pid };
    const baseline = { url: bare.url, pid: bare.pid };
    const max = (target) => load({ ...target, duration, connections });
    const step = (what) => console.error(`bench: ${what}, ${duration} s`);

    console.error(`bench: warming up, ${WARMUP_S} s each`);
    for (const target of [me, health, baseline]) await load({ ...target, duration: WARMUP_S, connections });

    step(`GET /v1/me, max rate, ${connections} connections`);
    const meRun = await max(me);
    step(`GET /healthz, max rate, ${connections} connections`);
    const healthRun = await max(health);
    step(`GET /bare, max rate, ${connections} connections`);
    const bareRun = await max(baseline);
    step(`GET /v1/me, autocannon overallRate ${FIXED_RATE}, ${connections} connections`);
    const fixedRun = await load({ ...me, duration, connections, overallRate: FIXED_RATE });
    step(`GET /v1/me, evenly paced ${FIXED_RATE} req/s`);
    const pacedRun = await paced({ ...me, rate: FIXED_RATE, duration });
    step(`GET /bare, evenly paced ${FIXED_RATE} req/s`);
    const barePacedRun = await paced({ ...baseline, rate: FIXED_RATE, duration });

    const runs = [meRun, healthRun, bareRun, fixedRun, pacedRun, barePacedRun];
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
      healthz_rps: healthRun.rps,
      me_cpu_us_per_req: meRun.server_cpu_us,
      me_pg_cpu_us_per_req: meRun.others_cpu_us,
      healthz_cpu_us_per_req: healthRun.server_cpu_us,
      bare_cpu_us_per_req: bareRun.server_cpu_us,
      fixed_rate_offered: FIXED_RATE,
      fixed_rate_rps: fixedRun.rps,
      fixed_rate_p50_ms: fixedRun.p50_ms,
      fixed_rate_p99_ms: fixedRun.p99_ms,
      paced_rps: pacedRun.rps,
      paced_p50_ms: pacedRun.p50_ms,
      paced_p99_ms: pacedRun.p99_ms,
      paced_saturated: pacedRun.saturated,
      bare_paced_p99_ms: barePacedRun.p99_ms,
      ratio_target_met: ratio >= TARGET_RATIO,
      fixed_rate_p99_target_met: fixedRun.p99_ms !== null && fixedRun.p99_ms < TARGET_P99_MS,
      paced_p99_target_met: !pacedRun.saturated && pacedRun.p99_ms !== null && pacedRun.p99_ms < TARGET_P99_MS,
      non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
      errors: runs.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
      valid: runs.every((r) => r.non2xx === 0 && r.errors === 0 && r.timeouts === 0 && r.requests > 0) && !barePacedRun.saturated,
      duration_s: duration,
      connections,
      log_level: process.env.BENCH_LOG_LEVEL || 'warn',
      database: process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'embedded',
      revision: parley.revision,
      node: process.version,
      cpus: os.cpus().length,
      loadavg_1m: Number(os.loadavg()[0].toFixed(2)),
      date: new Date().toISOString(),
    };
  } finally {
    await Promise.all([parley.stop(), bare.stop()]);
  }
}
