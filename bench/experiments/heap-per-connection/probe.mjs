/**
 * node --expose-gc bench/experiments/heap-per-connection/probe.mjs [connections=2000]
 *
 * Where the server's heap per idle connection goes: a Parley server in this process (built
 * packages/server/dist, on the PostgreSQL of PARLEY_BENCH_DATABASE_URL, default the local
 * postgres://postgres@127.0.0.1:5432/test, in a scratch database `heap_probe`), N WebSocket
 * clients in a child process (connect + one chat subscription each, as in the fanout benchmark),
 * heap snapshots before and after, and the difference per connection by object type. Then
 * `node retainers.mjs <type>` names what holds the objects of a type (e.g. `array`).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import pg from 'pg';

const N = Number(process.argv[2] ?? 2000);
const DIR = path.join(os.tmpdir(), 'parley-heap-probe');
fs.mkdirSync(DIR, { recursive: true });
const base = process.env.PARLEY_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query('drop database if exists heap_probe with (force)');
await admin.query('create database heap_probe');
await admin.end();
const { loadConfig, createServer, mintToken } = await import(new URL('../../../packages/server/dist/index.js', import.meta.url).href);
const dbUrl = new URL(base);
dbUrl.pathname = '/heap_probe';
const url = dbUrl.toString();
const config = loadConfig({ PARLEY_ADMIN_TOKEN: 'adm-token-0123456789abcdef', LOG_LEVEL: 'silent', DATABASE_URL: url });
const server = await createServer({ config, databaseUrl: url });
await server.app.listen({ port: 0, host: '127.0.0.1' });
const port = server.app.server.address().port;
const req = async (method, path, token, body) => {
  const r = await server.app.inject({ method, url: path, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: body ? JSON.stringify(body) : undefined });
  return JSON.parse(r.body);
};
const created = await req('POST', '/v1/apps', 'adm-token-0123456789abcdef', { name: 'm' });
const { key_id: keyId, secret } = created;
const st = (await mintToken({ keyId, secret, server: true })).token;
await req('PATCH', '/v1/app', st, { settings: { limits: { requests_per_second_per_user: 100000, requests_per_second_per_app: 1000000 } } });
for (let i = 0; i < N; i += 100) await req('POST', '/v1/users', st, { users: Array.from({ length: 100 }, (_, k) => ({ id: `u${i + k}`, name: `U ${i + k}` })) });
for (let c = 0; c < N / 10; c++) await req('POST', '/v1/channels', st, { type: 'messaging', id: `c${c}`, members: Array.from({ length: 10 }, (_, k) => `u${c * 10 + k}`) });
const tokens = [];
for (let i = 0; i < N; i++) tokens.push((await mintToken({ keyId, secret, userId: `u${i}`, expiresIn: 3600 })).token);
fs.writeFileSync(path.join(DIR, 'tokens.json'), JSON.stringify(tokens));
const summarize = (file) => {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  const f = snap.snapshot.meta.node_fields; const types = snap.snapshot.meta.node_types[0];
  const F = f.length; const by = new Map();
  const nodes = snap.nodes; const strings = snap.strings;
  for (let i = 0; i < nodes.length; i += F) {
    const type = types[nodes[i]]; const name = strings[nodes[i + 1]]; const size = nodes[i + 3];
    const key = type === 'object' || type === 'closure' ? `${type}:${name}` : type;
    const e = by.get(key) ?? [0, 0]; e[0] += size; e[1]++; by.set(key, e);
  }
  return by;
};
const gc = () => { for (let i = 0; i < 3; i++) global.gc(); };
await new Promise((r) => setTimeout(r, 1000));
gc();
const h0 = process.memoryUsage().heapUsed;
v8.writeHeapSnapshot(path.join(DIR, 'before.heapsnapshot'));
const child = fork(new URL('./clients.mjs', import.meta.url).pathname, [String(port), path.join(DIR, 'tokens.json')], { stdio: 'inherit' });
await new Promise((resolve) => child.on('message', (m) => m === 'ready' && resolve()));
await new Promise((r) => setTimeout(r, 3000));
gc();
const h1 = process.memoryUsage().heapUsed;
v8.writeHeapSnapshot(path.join(DIR, 'after.heapsnapshot'));
console.log('heap per conn KB', ((h1 - h0) / N / 1024).toFixed(2));
const a = summarize(path.join(DIR, 'before.heapsnapshot')); const b = summarize(path.join(DIR, 'after.heapsnapshot'));
const rows = [...b.entries()].map(([k, [s, n]]) => [k, s - (a.get(k)?.[0] ?? 0), n - (a.get(k)?.[1] ?? 0)]).sort((x, y) => y[1] - x[1]).slice(0, 45);
for (const [k, s, n] of rows) console.log((s / N).toFixed(0).padStart(6), 'B/conn', (n / N).toFixed(2).padStart(6), 'objs/conn', k);
child.kill();
await server.close?.();
process.exit(0);
