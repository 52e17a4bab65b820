/** Latency percentiles from raw per-request durations (ms), kept to 0.01 ms. */

const round = (value) => (value === null ? null : Number(value.toFixed(2)));

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

/** { p50_ms, p99_ms, max_ms } of an array of durations in milliseconds. */
export function summarize(durations) {
  const sorted = Float64Array.from(durations).sort();
  return { p50_ms: round(percentile(sorted, 0.5)), p99_ms: round(percentile(sorted, 0.99)), max_ms: round(sorted.at(-1) ?? null) };
}
