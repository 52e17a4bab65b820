/**
 * Load whose every request is different (path, token, body), for scenarios that spread requests
 * over many channels and users. `next()` returns { method, path, headers, body } for one request.
 *
 * - loadRequests: autocannon (keep-alive connections, closed loop, optional overallRate) with
 *   a setupRequest that calls next() per request.
 * - pacedRequests: open loop at an even rate (request i issued at start + i/rate, whatever the
 *   server does; latency counted from issue), like paced.mjs but for any method and body.
 * Latency percentiles come from each response's own duration (sub-millisecond), as in load.mjs.
 */
import http from 'node:http';
import autocannon from 'autocannon';
import { summarize } from './latency.mjs';

/**
 * Options: url (base, e.g. http://127.0.0.1:3000), next, duration (s), connections, overallRate,
 * amount (stop after this many requests instead of after `duration`). Resolves to { rps, p50_ms,
 * p99_ms, max_ms, requests, non2xx, errors, timeouts, status (counts by status code), seconds }.
 */
export function loadRequests({ url, next, duration, connections, overallRate, amount }) {
  const durations = [];
  const status = {};
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const options = {
      url,
      connections,
      overallRate,
      timeout: 10,
      requests: [{ setupRequest: (request) => ({ ...request, ...next() }) }],
    };
    if (amount) options.amount = amount;
    else options.duration = duration;
    const instance = autocannon(options, (error, result) => {
      if (error) return reject(error);
      const seconds = (performance.now() - started) / 1000;
      resolve({
        rps: Math.round(amount ? durations.length / seconds : result.requests.average),
        ...summarize(durations),
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        status,
        seconds: Number(seconds.toFixed(2)),
      });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      durations.push(responseTime);
      status[statusCode] = (status[statusCode] ?? 0) + 1;
    });
  });
}

/**
 * Options: url (base), next, rate (req/s), duration (s), sockets. Resolves like loadRequests
 * plus `saturated`: true when over a second's worth of requests went unanswered and the run
 * stopped early (the server cannot sustain the rate).
 */
export async function pacedRequests({ url, next, rate, duration, sockets = 64 }) {
  const base = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const total = rate * duration;
  const durations = [];
  const status = {};
  const counts = { non2xx: 0, errors: 0 };
  const pending = [];
  const fire = () =>
    new Promise((resolve) => {
      const { method = 'GET', path, headers = {}, body } = next();
      const issued = performance.now();
      const request = http.request({ host: base.hostname, port: base.port, method, path, headers, agent, timeout: 10_000 }, (response) => {
        response.resume();
        response.on('end', () => {
          const code = response.statusCode;
          status[code] = (status[code] ?? 0) + 1;
          if (code < 200 || code > 299) counts.non2xx++;
          durations.push(performance.now() - issued);
          resolve();
        });
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', () => {
        counts.errors++;
        resolve();
      });
      request.end(body);
    });

  const start = performance.now();
  let sent = 0;
  let saturated = false;
  while (sent < total && !saturated) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) pending.push(fire());
    saturated = sent - durations.length - counts.errors > rate;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { rps: Math.round(durations.length / seconds), ...summarize(durations), requests: sent, ...counts, timeouts: 0, status, saturated, seconds: Number(seconds.toFixed(2)) };
}

/** Sequential requests on one keep-alive connection (no queueing: each request's own service time). */
export async function serialRequests({ url, next, count }) {
  return loadRequests({ url, next, connections: 1, amount: count });
}

/** Machine notes for a scenario's figures. */
export async function machine() {
  const os = await import('node:os');
  return { node: process.version, cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? null, mem_gb: Math.round(os.totalmem() / 1e9), loadavg_1m: Number(os.loadavg()[0].toFixed(2)) };
}

/**
 * CPU seconds (user + system) of `pid` and of its descendants (e.g. a server's embedded
 * PostgreSQL), from /proc; nulls where /proc is not available.
 */
export async function treeCpu(pid) {
  const { readFileSync, readdirSync } = await import('node:fs');
  const hz = 100; // USER_HZ is 100 on Linux
  const all = [];
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const text = readFileSync(`/proc/${name}/stat`, 'utf8');
        const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
        all.push({ pid: Number(name), ppid: Number(f[1]), seconds: (Number(f[11]) + Number(f[12])) / hz });
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    return { own: null, descendants: null };
  }
  const own = all.find((p) => p.pid === pid)?.seconds ?? null;
  const family = new Set([pid]);
  let descendants = 0;
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!family.has(p.pid) && family.has(p.ppid)) {
        family.add(p.pid);
        descendants += p.seconds;
        grew = true;
      }
    }
  }
  return { own, descendants };
}

/** CPU µs per operation of a process tree between two treeCpu() samples. */
export function cpuPer(before, after, operations) {
  const per = (a, b) => (a === null || b === null || operations <= 0 ? null : Math.round(((a - b) * 1e6) / operations));
  return { server_cpu_us: per(after.own, before.own), pg_cpu_us: per(after.descendants, before.descendants) };
}
