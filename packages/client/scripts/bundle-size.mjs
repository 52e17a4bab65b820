#!/usr/bin/env node
/**
 * Bundles the browser entry of @parley/client (src/index.ts) with esbuild for the browser
 * (minified ESM, `centrifuge` left external: apps ship it anyway and it is its own package),
 * gzips it and prints the size. Fails when the bundle pulls in a Node built-in or exceeds the
 * budget. Usage: `npm run size -w @parley/client` or `node packages/client/scripts/bundle-size.mjs`.
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { build } from 'esbuild';

export const BUDGET_BYTES = 40 * 1024;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');

/** Resolves the workspace packages to their sources, so no build is needed first. */
const sources = {
  name: 'workspace-sources',
  setup(b) {
    b.onResolve({ filter: /^@parley\/protocol$/ }, () => ({ path: path.join(root, 'packages/protocol/src/index.ts') }));
  },
};

/** Bundles, gzips and measures; returns `{ minified, gzipped, inputs }`. */
export async function measure() {
  const result = await build({
    entryPoints: [path.join(root, 'packages/client/src/index.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['centrifuge'],
    plugins: [sources],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, inputs: Object.keys(result.metafile.inputs), code: result.outputFiles[0].text };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { minified, gzipped, inputs } = await measure();
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`@parley/client browser entry (centrifuge external): ${kb(minified)} minified, ${kb(gzipped)} gzipped, ${inputs.length} modules; budget ${kb(BUDGET_BYTES)} gzipped`);
  if (gzipped > BUDGET_BYTES) {
    console.error('over budget');
    process.exit(1);
  }
}
