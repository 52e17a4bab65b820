/**
 * Scenario options beyond run.mjs's --duration/--connections. run.mjs's parser keeps everything
 * after a `--` as positionals, so scenario options go after one:
 *   npm run bench -- history -- --messages 1000000 --channels 10000
 * Each option can also come from the environment (BENCH_<NAME>, e.g. BENCH_MESSAGES=1000000).
 */
import { parseArgs } from 'node:util';

/** The arguments after the first `--` on the command line (all of them when there is none and `standalone`). */
function tail(standalone) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--');
  if (at >= 0) return argv.slice(at + 1);
  return standalone ? argv : [];
}

/**
 * `spec`: { name: { type: 'string' | 'boolean', default } }. Integers are given as strings and
 * parsed with `int()`. Throws on unknown options.
 */
export function scenarioArgs(spec, { standalone = false } = {}) {
  const options = Object.fromEntries(Object.entries(spec).map(([name, { type }]) => [name, { type }]));
  const { values } = parseArgs({ args: tail(standalone), options, allowPositionals: false });
  const result = {};
  for (const [name, { type, default: fallback }] of Object.entries(spec)) {
    const env = process.env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
    let value = values[name];
    if (value === undefined && env !== undefined && env !== '') value = type === 'boolean' ? env === '1' || env === 'true' : env;
    result[name] = value === undefined ? fallback : value;
  }
  return result;
}

/** A positive integer option (accepts 1e7, 10_000_000, 10,000,000). */
export function int(value, name, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}) {
  const number = typeof value === 'number' ? value : Number(String(value).replaceAll(/[_,]/g, ''));
  if (!Number.isInteger(number) || number < min || number > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${value}`);
  return number;
}
