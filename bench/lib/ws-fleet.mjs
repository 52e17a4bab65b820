/**
 * A fleet of WebSocket generator processes (ws-generator.mjs), each with its own share of the
 * clients and its own loopback source address (127.0.0.2, 127.0.0.3, …): no process comes near
 * the open-files limit (`perProcess` sockets at most), and no source address near its ephemeral
 * port range. Commands go to every generator at once; results come back as a list.
 */
import { fileURLToPath } from 'node:url';
import { forkChild } from './processes.mjs';

const script = fileURLToPath(new URL('./ws-generator.mjs', import.meta.url));

class Generator {
  constructor(index) {
    this.index = index;
    this.localAddress = `127.0.0.${2 + index}`;
    this.proc = forkChild(script, [], { name: `ws-generator-${index}`, execArgv: ['--max-old-space-size=2048'] });
    this.pending = new Map();
    this.rid = 0;
    this.proc.child.on('message', ({ rid, ok, result, error }) => {
      const waiter = this.pending.get(rid);
      if (!waiter) return;
      this.pending.delete(rid);
      if (ok) waiter.resolve(result);
      else waiter.reject(new Error(`generator ${this.index}: ${error}`));
    });
    this.proc.exited.then(({ code, signal }) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`generator ${this.index} exited (code ${code}, signal ${signal})`));
      this.pending.clear();
    });
  }

  call(cmd, args = {}, timeoutMs = 300_000) {
    const rid = ++this.rid;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`generator ${this.index}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rid, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.proc.child.send({ rid, cmd, ...args });
    });
  }
}

/**
 * `clients`: [{user, channel}], dealt out in contiguous blocks of at most `perProcess`. Resolves to
 * a fleet with `all(cmd, args)` (every generator, results in order) and `stop()`.
 */
export async function startFleet({ clients, keyId, secret, perProcess = 5_000 }) {
  const count = Math.max(1, Math.ceil(clients.length / perProcess));
  const size = Math.ceil(clients.length / count);
  const generators = Array.from({ length: count }, (_, i) => new Generator(i));
  await Promise.all(generators.map((g, i) => g.call('init', { keyId, secret, localAddress: g.localAddress, list: clients.slice(i * size, (i + 1) * size) })));
  return {
    generators,
    addresses: generators.map((g) => g.localAddress),
    all: (cmd, args, timeoutMs) => Promise.all(generators.map((g) => g.call(cmd, args, timeoutMs))),
    pids: () => generators.map((g) => g.proc.child.pid),
    stop: () => Promise.all(generators.map((g) => g.proc.stop())),
  };
}

/** Sums the numeric fields of generator results; concatenates arrays; merges count maps. */
export function merge(results) {
  const total = {};
  for (const result of results) {
    for (const [key, value] of Object.entries(result)) {
      if (typeof value === 'number') total[key] = (total[key] ?? 0) + value;
      else if (Array.isArray(value)) total[key] = (total[key] ?? []).concat(value);
      else if (value && typeof value === 'object') {
        total[key] ??= {};
        for (const [k, v] of Object.entries(value)) total[key][k] = (total[key][k] ?? 0) + v;
      }
    }
  }
  return total;
}
