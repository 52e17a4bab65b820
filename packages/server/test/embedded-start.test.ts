/**
 * `parley start` as a real child process on the embedded PostgreSQL (no DATABASE_URL):
 * first start, demo app, data-dir lock, graceful SIGTERM, second start on the same data,
 * configuration errors. The tests in this file run in order and share one data directory.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '@parley/server';
import { alive, postmasterPid, runCli, spawnCli, tempDataDir, until, type CliProcess } from '../../../test/support/cli.js';
import { itIf } from '../../../test/support/it-if.js';

const FIRST_START_LIMIT_MS = 20_000;
/** The documented target for a restart on existing data. */
const SECOND_START_LIMIT_MS = 5_000;
const SHUTDOWN_LIMIT_MS = 10_000;

let dir: string;
const started: CliProcess[] = [];

function start(env: Record<string, string> = {}): CliProcess {
  const cli = spawnCli(['start'], { PARLEY_DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'info', ...env });
  started.push(cli);
  return cli;
}

interface Reply {
  status: number;
  body: any;
}

async function call(url: string, method: string, token?: string, body?: unknown): Promise<Reply> {
  const response = await fetch(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed };
}

/** Waits for "listening on <url>", then for /healthz to answer 200; returns the url and ms since `since`. */
async function ready(cli: CliProcess, since: number, limitMs: number): Promise<{ url: string; ms: number }> {
  const [, url] = await cli.waitFor(/Parley is listening on (http:\/\/\S+)/, limitMs);
  await until(
    async () => {
      try {
        return (await call(`${url}/healthz`, 'GET')).status === 200;
      } catch {
        return false;
      }
    },
    Math.max(0, limitMs - (Date.now() - since)),
    `${url}/healthz`,
  );
  return { url: url!, ms: Date.now() - since };
}

async function stopWithSigterm(cli: CliProcess): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  process.kill(cli.pid, 'SIGTERM');
  const exit = await cli.waitForExit(SHUTDOWN_LIMIT_MS);
  return { code: exit.code, ms: Date.now() - t0 };
}

beforeAll(async () => {
  dir = await tempDataDir('parley-start-');
});

afterAll(async () => {
  for (const cli of started) cli.kill();
  // A postmaster left behind (a test failed before a clean stop) is stopped too.
  const pid = await postmasterPid(dir);
  if (pid && alive(pid)) {
    process.kill(pid, 'SIGINT');
    await until(() => !alive(pid), 15_000, 'leftover postmaster to stop').catch(() => process.kill(pid, 'SIGKILL'));
  }
  await fs.rm(dir, { recursive: true, force: true });
  const figures = Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`);
  if (figures.length) console.log(`embedded start timings: ${figures.join(', ')}`);
});

const timings: Record<string, number> = {};

describe('parley start on the embedded PostgreSQL', { timeout: 90_000 }, () => {
  let first: CliProcess;
  let url: string;
  let adminToken: string;
  let demo: { appId: string; keyId: string; secret: string; alice: string; bob: string };
  let persistedAppId: string;

  it(`first start answers /healthz within ${FIRST_START_LIMIT_MS / 1000} s and prints a demo app`, async () => {
    const t0 = Date.now();
    first = start();
    const up = await ready(first, t0, FIRST_START_LIMIT_MS);
    timings['first start to /healthz'] = up.ms;
    url = up.url;
    expect(up.ms).toBeLessThan(FIRST_START_LIMIT_MS);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    await first.waitFor(/bob token\s+\S+/, 15_000);
    const out = first.stdout();
    const grab = (pattern: RegExp) => {
      const match = out.match(pattern);
      expect(match, `${pattern} in\n${out}`).not.toBeNull();
      return match![1]!;
    };
    expect(out).toContain('Created a demo app (first start)');
    expect(out).toContain(`embedded PostgreSQL in ${dir}`);
    demo = {
      appId: grab(/app id\s+(\S+)/),
      keyId: grab(/key id\s+(\S+)/),
      secret: grab(/secret\s+(\S+)/),
      alice: grab(/alice token\s+(\S+)/),
      bob: grab(/bob token\s+(\S+)/),
    };
    expect(demo.keyId.startsWith(`${demo.appId}_`)).toBe(true);
    adminToken = grab(/PARLEY_ADMIN_TOKEN=(\S+)/);
    expect((await fs.readFile(path.join(dir, 'admin-token'), 'utf8')).trim()).toBe(adminToken);
    expect((await fs.stat(path.join(dir, 'admin-token'))).mode & 0o077).toBe(0); // not readable by others

    // The sample tokens are real: signed with the printed secret, and accepted by the server.
    const { payload } = await jwtVerify(demo.alice, new TextEncoder().encode(demo.secret));
    expect(payload.sub).toBe('alice');
    const me = await call(`${url}/v1/me`, 'GET', demo.alice);
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: 'alice', name: 'Alice' });
    const bob = await call(`${url}/v1/me`, 'GET', demo.bob);
    expect(bob.status).toBe(200);
    expect(bob.body.user.id).toBe('bob');
    expect((await call(`${url}/v1/me`, 'GET', 'not-a-token')).status).toBe(401);

    // Data to find again after a restart: an app (operator token) and a user (demo app's server token).
    const created = await call(`${url}/v1/apps`, 'POST', adminToken, { name: 'persisted' });
    expect(created.status).toBe(201);
    persistedAppId = created.body.app.id;
    const serverToken = (await mintToken({ keyId: demo.keyId, secret: demo.secret, server: true })).token;
    const upsert = await call(`${url}/v1/users`, 'POST', serverToken, { users: [{ id: 'carol', name: 'Carol' }] });
    expect(upsert.status).toBe(200);

    const ready_ = await call(`${url}/readyz`, 'GET');
    expect(ready_.status).toBe(200);
  });

  it('refuses a second server on the same data directory, naming PARLEY_DATA_DIR', async () => {
    expect(url, 'first start ran').toBeDefined();
    const second = start();
    const exit = await second.waitForExit(30_000);
    expect(exit.code).toBe(2);
    expect(second.stderr()).toMatch(/PARLEY_DATA_DIR/);
    expect(second.stderr()).toContain(dir);
    expect(second.stderr()).toContain(String(first.pid));
    expect(second.stdout()).not.toContain('listening on');
    // The first server is unaffected.
    expect((await call(`${url}/healthz`, 'GET')).status).toBe(200);
    expect((await call(`${url}/v1/me`, 'GET', demo.alice)).status).toBe(200);
  });

  it(`SIGTERM: exits 0 within ${SHUTDOWN_LIMIT_MS / 1000} s and stops the embedded PostgreSQL`, async () => {
    expect(url, 'first start ran').toBeDefined();
    const postmaster = await postmasterPid(dir);
    expect(postmaster).not.toBeNull();
    expect(alive(postmaster!)).toBe(true);
    const stopped = await stopWithSigterm(first);
    timings['idle SIGTERM to exit'] = stopped.ms;
    expect(stopped.code).toBe(0);
    expect(first.output()).toMatch(/shutting down/);
    await until(() => !alive(postmaster!), 5_000, `postmaster ${postmaster} to exit`);
    expect(existsSync(path.join(dir, 'pg', 'postmaster.pid'))).toBe(false);
    expect(existsSync(path.join(dir, 'server.pid'))).toBe(false);
  });

  describe('second start on the same data directory', () => {
    let second: CliProcess;
    let secondUrl: string;

    it(`answers /healthz within ${SECOND_START_LIMIT_MS / 1000} s, keeps the data and prints no new demo app`, async () => {
      expect(persistedAppId, 'first start ran').toBeDefined();
      // A claim left by a server killed with SIGKILL, whose pid now belongs to an unrelated live
      // process (as after a container restart): it must not block the start.
      await fs.writeFile(path.join(dir, 'server.pid'), `${process.pid} 1\n`);
      // Best of two: one restart slowed by a burst of load elsewhere on the machine is not a regression.
      let up: { url: string; ms: number } | undefined;
      for (let attempt = 1; attempt <= 2; attempt++) {
        const t0 = Date.now();
        second = start();
        // Bounded generously so that a slow machine reports the figure instead of a timeout.
        up = await ready(second, t0, FIRST_START_LIMIT_MS);
        timings[`second start to /healthz (attempt ${attempt})`] = up.ms;
        if (up.ms < SECOND_START_LIMIT_MS) break;
        if (attempt === 1) expect((await stopWithSigterm(second)).code).toBe(0);
      }
      secondUrl = up!.url;
      // The 5 s target is about Parley, not about a machine whose CPUs are saturated by other work:
      // then the figure is reported and only the first-start bound applies.
      const load = os.loadavg()[0]! / os.cpus().length;
      if (up!.ms >= SECOND_START_LIMIT_MS && load > 1.5) {
        console.warn(`restart took ${up!.ms} ms, over the ${SECOND_START_LIMIT_MS} ms target, with a load average of ${load.toFixed(1)} per CPU`);
        expect(up!.ms).toBeLessThan(FIRST_START_LIMIT_MS);
      } else {
        expect(up!.ms, `restart took ${up!.ms} ms (target ${SECOND_START_LIMIT_MS} ms)`).toBeLessThan(SECOND_START_LIMIT_MS);
      }

      // The admin token is the one kept in the data directory; it still works.
      await second.waitFor(/operator\s+PARLEY_ADMIN_TOKEN=(\S+)/, 5_000);
      expect(second.stdout()).toContain(`PARLEY_ADMIN_TOKEN=${adminToken}`);
      const apps = await call(`${secondUrl}/v1/apps`, 'GET', adminToken);
      expect(apps.status).toBe(200);
      expect(apps.body.apps.map((a: { id: string }) => a.id).sort()).toEqual([demo.appId, persistedAppId].sort());

      // Users and keys survived: the first run's tokens still work, and carol is there.
      expect((await call(`${secondUrl}/v1/me`, 'GET', demo.alice)).status).toBe(200);
      const serverToken = (await mintToken({ keyId: demo.keyId, secret: demo.secret, server: true })).token;
      const carol = await call(`${secondUrl}/v1/users/carol`, 'GET', serverToken);
      expect(carol.status).toBe(200);
      expect(carol.body.user).toMatchObject({ id: 'carol', name: 'Carol' });

      // Give a late demo printout the chance to appear, then check it did not.
      await new Promise((r) => setTimeout(r, 300));
      expect(second.stdout()).not.toContain('Created a demo app');
      expect(second.stdout()).not.toMatch(/alice token/);
    });

    it('graceful shutdown: a request in flight at SIGTERM completes, then the process exits 0', async () => {
      expect(secondUrl, 'second start ran').toBeDefined();
      const { hostname, port } = new URL(secondUrl);
      const body = JSON.stringify({ name: 'in-flight' });
      // A request whose body arrives slowly: its headers reach the server before SIGTERM, the rest after.
      const agent = new http.Agent({ keepAlive: true });
      let inFlight: http.ClientRequest | undefined;
      const response = new Promise<Reply>((resolve, reject) => {
        const request = http.request(
          {
            host: hostname,
            port: Number(port),
            method: 'POST',
            path: '/v1/apps',
            agent,
            headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
            timeout: 15_000,
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
            res.on('error', reject);
          },
        );
        request.on('timeout', () => request.destroy(new Error('in-flight request timed out')));
        request.on('error', reject);
        request.write(body.slice(0, 5));
        inFlight = request;
      });
      response.catch(() => {}); // awaited below; avoid an unhandled rejection if an earlier step fails
      try {
        await new Promise((r) => setTimeout(r, 500)); // the server has routed the request and waits for its body
        const t0 = Date.now();
        process.kill(second.pid, 'SIGTERM');
        await second.waitFor(/shutting down/, 5_000);
        await new Promise((r) => setTimeout(r, 700));
        // Still serving the request in flight (not exited), but no longer accepting new connections.
        expect(alive(second.pid)).toBe(true);
        const refused = await new Promise<boolean>((resolve) => {
          const socket = net.connect(Number(port), hostname, () => {
            socket.destroy();
            resolve(false);
          });
          socket.on('error', () => resolve(true));
        });
        expect(refused, 'new connections are refused while draining').toBe(true);

        inFlight!.end(body.slice(5));
        const reply = await response;
        expect(reply.status).toBe(201);
        expect(reply.body.app.name).toBe('in-flight');

        const exit = await second.waitForExit(SHUTDOWN_LIMIT_MS);
        timings['SIGTERM with a request in flight to exit'] = Date.now() - t0;
        expect(exit.code).toBe(0);
        expect(second.output()).not.toMatch(/graceful shutdown timed out/);
      } finally {
        inFlight?.destroy();
        agent.destroy();
      }
      expect(await postmasterPid(dir)).toBeNull();
    });

    it('what the in-flight request wrote was committed (checked with the CLI on the embedded database)', async () => {
      expect(secondUrl, 'second start ran').toBeDefined();
      const result = await runCli(['app', 'list', '--json'], { PARLEY_DATA_DIR: dir, LOG_LEVEL: 'silent' }, 60_000);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const names = JSON.parse(result.stdout).apps.map((a: { name: string }) => a.name);
      expect(names).toEqual(['demo', 'persisted', 'in-flight']);
      // The CLI stopped the PostgreSQL it started.
      expect(await postmasterPid(dir)).toBeNull();
    });

    it('a second signal while draining exits at once (code 1) and still stops the embedded PostgreSQL', async () => {
      expect(secondUrl, 'second start ran').toBeDefined();
      const cli = start();
      const { url: third } = await ready(cli, Date.now(), FIRST_START_LIMIT_MS);
      const postmaster = await postmasterPid(dir);
      expect(postmaster).not.toBeNull();
      const { hostname, port } = new URL(third);
      // A request that never completes keeps the first shutdown waiting.
      const socket = net.connect(Number(port), hostname);
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.on('error', () => {});
      socket.write(`POST /v1/apps HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${adminToken}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{`);
      try {
        await new Promise((r) => setTimeout(r, 300));
        process.kill(cli.pid, 'SIGTERM');
        await cli.waitFor(/shutting down/, 5_000);
        await new Promise((r) => setTimeout(r, 300));
        expect(alive(cli.pid), 'still draining').toBe(true);
        const t0 = Date.now();
        process.kill(cli.pid, 'SIGINT');
        const exit = await cli.waitForExit(5_000);
        expect(exit.code).toBe(1);
        expect(Date.now() - t0).toBeLessThan(3_000);
        await until(() => !alive(postmaster!), 10_000, `postmaster ${postmaster} to exit`);
      } finally {
        socket.destroy();
      }
    });
  });

  describe('configuration errors', () => {
    it('PORT=abc exits 2 with a message naming PORT, before touching the data directory', async () => {
      const fresh = await tempDataDir('parley-start-bad-');
      try {
        const cli = start({ PARLEY_DATA_DIR: fresh, PORT: 'abc' });
        const exit = await cli.waitForExit(30_000);
        expect(exit.code).toBe(2);
        expect(cli.stderr()).toMatch(/PORT/);
        expect(cli.stderr()).toContain('abc');
        expect(await fs.readdir(fresh)).toEqual([]);
      } finally {
        await fs.rm(fresh, { recursive: true, force: true });
      }
    });

    it('a port already in use exits 2 naming PORT, and leaves no PostgreSQL running', async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const busy = (blocker.address() as net.AddressInfo).port;
      try {
        const cli = start({ PORT: String(busy) });
        const exit = await cli.waitForExit(60_000);
        expect(exit.code).toBe(2);
        expect(cli.stderr()).toMatch(/PORT/);
        expect(cli.stderr()).toContain(String(busy));
        await until(async () => (await postmasterPid(dir)) === null, 10_000, 'the embedded PostgreSQL to stop');
        expect(existsSync(path.join(dir, 'server.pid'))).toBe(false);
      } finally {
        await new Promise((r) => blocker.close(r));
      }
    });

    itIf(process.getuid?.() === 0, 'as root, a data directory the postgres user cannot reach still works: the cluster moves under /var/lib/parley', async () => {
      const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-start-private-')); // mode 0700, owned by root
      const data = path.join(parent, 'data');
      let cluster: string | null = null;
      try {
        const cli = start({ PARLEY_DATA_DIR: data });
        await cli.waitFor(/listening on/, 60_000);
        const link = path.join(data, 'pg');
        expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
        cluster = await fs.readlink(link);
        expect(cluster.startsWith('/var/lib/parley/pg-')).toBe(true);
        expect(existsSync(path.join(cluster, 'PG_VERSION'))).toBe(true);
        process.kill(cli.pid, 'SIGTERM');
        expect((await cli.waitForExit(30_000)).code).toBe(0);
      } finally {
        await fs.rm(parent, { recursive: true, force: true });
        if (cluster) await fs.rm(cluster, { recursive: true, force: true });
      }
    });

    it('a PostgreSQL that will not start is reported with its own words, and nothing is left behind', async () => {
      const conf = path.join(dir, 'pg', 'postgresql.conf');
      const original = await fs.readFile(conf, 'utf8');
      await fs.appendFile(conf, '\nparley_test_bogus_setting = 1\n');
      try {
        const cli = start();
        const exit = await cli.waitForExit(60_000);
        expect(exit.code).toBe(1);
        expect(cli.stderr()).toContain(`embedded PostgreSQL in ${path.join(dir, 'pg')} failed to start`);
        expect(cli.stderr()).toContain('parley_test_bogus_setting');
        expect(cli.stderr()).not.toMatch(/undefined/);
        expect(await postmasterPid(dir)).toBeNull();
        expect(existsSync(path.join(dir, 'server.pid'))).toBe(false);
      } finally {
        await fs.writeFile(conf, original);
      }
    });
  });
});
