/** Starts bench/servers/bare.mjs (a bare Fastify route) as a child process. */
import { fileURLToPath } from 'node:url';
import { spawnChild } from './processes.mjs';
import { freePort, waitUntilReady } from './ready.mjs';

const script = fileURLToPath(new URL('../servers/bare.mjs', import.meta.url));

/** Resolves to { url, pid, stop } where url is the full URL of the bare route. */
export async function startBare({ nodeArgs = [] } = {}) {
  const port = await freePort();
  const proc = spawnChild(process.execPath, [...nodeArgs, script], { env: { ...process.env, PORT: String(port) }, name: 'bare' });
  const url = `http://127.0.0.1:${port}/bare`;
  await waitUntilReady(url, proc, 30_000);
  return { url, pid: proc.child.pid, stop: () => proc.stop() };
}
