/**
 * npm run bench -- <scenario> [--duration s] [--connections n]
 *
 * Runs bench/scenarios/<scenario>.mjs and prints its figures as one JSON line on stdout;
 * progress goes to stderr. Child processes are killed on exit, on error and on a deadline.
 */
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import './lib/processes.mjs'; // installs the exit/signal handlers before anything is spawned

const scenariosDir = new URL('./scenarios/', import.meta.url);
const scenarios = readdirSync(scenariosDir).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4)).sort();
const importScenario = (name) => import(new URL(`${name}.mjs`, scenariosDir));

async function usage(message) {
  if (message) console.error(`bench: ${message}`);
  console.error('usage: npm run bench -- <scenario> [--duration s] [--connections n]\nscenarios:');
  for (const name of scenarios) console.error(`  ${name.padEnd(16)} ${(await importScenario(name)).description ?? ''}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { duration: { type: 'string' }, connections: { type: 'string' } } });
} catch (error) {
  await usage(error.message);
}
const [name] = parsed.positionals;
if (!name || !scenarios.includes(name)) await usage(name ? `unknown scenario "${name}"` : 'no scenario given');

const positive = async (raw, flag, fallback, max) => {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) await usage(`${flag} must be an integer from 1 to ${max}`);
  return value;
};
const options = {
  duration: await positive(parsed.values.duration, '--duration', 10, 300),
  connections: await positive(parsed.values.connections, '--connections', 50, 1000),
};

// Only the figures go to stdout.
console.log = console.error;

const scenario = await importScenario(name);
const limit = scenario.maxSeconds(options);
setTimeout(() => {
  console.error(`bench: ${name} exceeded its ${limit} s deadline; aborting`);
  process.exit(1);
}, limit * 1000);

try {
  const figures = await scenario.run(options);
  process.stdout.write(JSON.stringify(figures) + '\n');
  process.exit(0);
} catch (error) {
  console.error(`bench: ${name} failed: ${error.stack ?? error}`);
  process.exit(1);
}
