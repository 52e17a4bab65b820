/**
 * Open-loop load at an even rate: request i is issued at start + i/rate (on a ~1 ms timer),
 * whatever the server is doing, over a pool of keep-alive connections. Issuing never waits for
 * responses, so a server stall is not hidden (no coordinated omission); latency counts from
 * issue, including any wait for a free connection. For "p99 at N req/s": autocannon's overallRate
 * instead lets each connection send its share of a second back to back, which measures bursts.
 */
import http from 'node:http';
import { summarize } from './latency.mjs';

/**
 * Options: url, rate (req/s), duration (s), headers, sockets. Resolves like load() (without CPU
 * figures) plus `saturated`: true when over a second's worth of requests went unanswered and
 * the run stopped early (the server cannot sustain the rate).
 */
export async function paced({ url, rate, duration, headers = {}, sockets = 64 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const total = rate * duration;
  const durations = [];
  const counts = { non2xx: 0, errors: 0 };
  const pending = [];
  const fire = () =>
    new Promise((resolve) => {
      const issued = performance.now();
      const request = http.get(url, { agent, headers, timeout: 10_000 }, (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode < 200 || response.statusCode > 299) counts.non2xx++;
          durations.push(performance.now() - issued);
          resolve();
        });
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', () => {
        counts.errors++;
        resolve();
      });
    });

  const start = performance.now();
  let sent = 0;
  let saturated = false;
  while (sent < total && !saturated) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) pending.push(fire());
    // More than a second's worth of requests unanswered: the server cannot keep up; stop offering.
    saturated = sent - durations.length - counts.errors > rate;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  return { rps: Math.round(durations.length / elapsed), ...summarize(durations), requests: sent, ...counts, timeouts: 0, saturated };
}
