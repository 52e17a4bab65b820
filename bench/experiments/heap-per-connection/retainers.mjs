/** node retainers.mjs <node type, e.g. array|closure|object:Object>: who holds them in the probe's last snapshot. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const snap = JSON.parse(fs.readFileSync(path.join(os.tmpdir(), 'parley-heap-probe', 'after.heapsnapshot'), 'utf8'));
const m = snap.snapshot.meta; const F = m.node_fields.length; const E = m.edge_fields.length;
const types = m.node_types[0]; const etypes = m.edge_types[0];
const nodes = snap.nodes, edges = snap.edges, strings = snap.strings;
// parent map: for each node, first retainer (object or closure) and the edge name
const n = nodes.length / F; const firstEdge = new Uint32Array(n + 1);
for (let i = 0, e = 0; i < n; i++) { firstEdge[i] = e; e += nodes[i * F + 4] * E; } firstEdge[n] = edges.length;
const parent = new Int32Array(n).fill(-1); const pname = new Array(n);
for (let i = 0; i < n; i++) for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += E) {
  const to = edges[e + 2] / F; const et = etypes[edges[e]];
  if (et === 'weak' || et === 'shortcut') continue;
  if (parent[to] === -1) { parent[to] = i; pname[to] = et === 'element' || et === 'hidden' ? `[${edges[e+1]}]` : strings[edges[e + 1]]; }
}
const label = (i) => `${types[nodes[i*F]]}:${strings[nodes[i*F+1]]}`;
const by = new Map();
for (let i = 0; i < n; i++) {
  const t = types[nodes[i*F]];
  const name = `${t}:${strings[nodes[i * F + 1]]}`;
  if (t !== process.argv[2] && name !== process.argv[2]) continue;
  const p = parent[i]; const pp = p >= 0 ? parent[p] : -1;
  const key = `${p >= 0 ? label(p) : '-'} .${pname[i]}  <- ${pp >= 0 ? label(pp) + ' .' + pname[p] : ''}`;
  const e = by.get(key) ?? [0, 0]; e[0] += nodes[i*F+3]; e[1]++; by.set(key, e);
}
for (const [k, [s, c]] of [...by.entries()].sort((a, b) => b[1][0] - a[1][0]).slice(0, 25)) console.log(String(s).padStart(9), String(c).padStart(6), k);
