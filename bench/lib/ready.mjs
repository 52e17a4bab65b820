/** Ports and readiness: a free local port, and waiting until a child answers HTTP. */
import net from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200; fails early if the process exits, or after `timeoutMs`. */
export async function waitUntilReady(url, proc, timeoutMs) {
  let exit = null;
  proc.exited.then((outcome) => (exit = outcome));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit) throw new Error(`${proc.name} exited before it was ready (code ${exit.code}, signal ${exit.signal})`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${proc.name} not ready at ${url} after ${timeoutMs} ms`);
}
