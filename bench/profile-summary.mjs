/**
 * node bench/profile-summary.mjs <file.cpuprofile> [top]
 * Self time of a V8 CPU profile (node --cpu-prof), by function and by package, as plain text.
 */
import { readFileSync } from 'node:fs';

const [file, topArg = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const deltas = profile.timeDeltas;
const selfMs = new Map();
profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (deltas[i] ?? 0) / 1000));
const total = [...selfMs.values()].reduce((a, b) => a + b, 0);

function where(url) {
  if (!url) return '(native/vm)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  const own = /packages\/([^/]+)\//.exec(url);
  return own ? `@parley/${own[1]}` : url;
}

const byFunction = new Map();
const byPackage = new Map();
for (const [id, ms] of selfMs) {
  const { callFrame: f } = nodes.get(id);
  const fn = `${f.functionName || '(anonymous)'} ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  byPackage.set(where(f.url), (byPackage.get(where(f.url)) ?? 0) + ms);
}
const show = (title, map) => {
  console.log(`\n${title}`);
  for (const [key, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg))) {
    console.log(`${((100 * ms) / total).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${key}`);
  }
};
console.log(`${file}: ${total.toFixed(0)} ms sampled`);
show('self time by package', byPackage);
show('self time by function', byFunction);
