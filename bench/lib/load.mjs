/**
 * autocannon, in this process, against one URL. Latency percentiles are computed from every
 * response's own duration (sub-millisecond), because autocannon's histogram keeps whole
 * milliseconds only.
 */
import autocannon from 'autocannon';
import { cpuSeconds } from './cpu.mjs';
import { summarize } from './latency.mjs';

/**
 * Options: url, duration (s), connections, headers, overallRate (req/s offered; note autocannon
 * sends each connection's share of a second back to back, then waits for the next second), pid
 * (the server's process: its CPU time per request is reported too, as server_cpu_us).
 * Resolves to { rps, p50_ms, p99_ms, max_ms, requests, non2xx, errors, timeouts, server_cpu_us }.
 */
export function load({ url, duration, connections, headers = {}, overallRate, pid }) {
  const durations = [];
  const cpuBefore = pid ? cpuSeconds(pid) : null;
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, duration, connections, headers, overallRate, timeout: 10 }, (error, result) => {
      if (error) return reject(error);
      const cpuAfter = pid ? cpuSeconds(pid) : null;
      resolve({
        rps: Math.round(result.requests.average),
        ...summarize(durations),
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        server_cpu_us: cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) * 1e6) / result.requests.total),
      });
    });
    instance.on('response', (_client, _status, _bytes, responseTime) => durations.push(responseTime));
  });
}
