import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWorld, createChannel, send, inBatches, type World } from './helpers.js';
let w: World;
beforeAll(async () => { w = await startWorld(['alice', 'bob']); });
afterAll(() => w.t.close());
it('speed', async () => {
  const ch = await createChannel(w.t, w.tokens.alice!, { type: 'messaging', id: 'big', members: ['bob'] });
  const pool = w.db as any;
  const times = new Map<string, number[]>();
  const orig = pool.connect.bind(pool);
  pool.connect = async (...args: any[]) => {
    if (args.length) return orig(...args);
    const c = await orig();
    if (!c.__wrapped) {
      c.__wrapped = true;
      const q = c.query.bind(c);
      c.query = async (...a: any[]) => { const t0 = performance.now(); try { return await q(...a); } finally { const k = String(a[0]).slice(0, 60); (times.get(k) ?? times.set(k, []).get(k)!).push(performance.now() - t0); } };
    }
    return c;
  };
  const oq = pool.query.bind(pool);
  pool.query = async (...a: any[]) => { const t0 = performance.now(); try { return await oq(...a); } finally { const k = 'POOL ' + String(a[0]).slice(0, 60); (times.get(k) ?? times.set(k, []).get(k)!).push(performance.now() - t0); } };
  const t0 = Date.now();
  for (let i = 0; i < 200; i++) await send(w.t, w.tokens.alice!, ch, { text: `m${i}` });
  console.log('200 sequential sends', Date.now() - t0);
  for (const [k, v] of times) console.log(v.length, (v.reduce((a, b) => a + b, 0) / v.length).toFixed(2), k.replace(/\s+/g, ' '));
}, 120_000);
