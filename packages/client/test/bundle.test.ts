/**
 * The browser entry: bundles for the browser with no Node built-in (esbuild fails on one), stays
 * within the 40 KB gzipped budget (centrifuge excluded), and tree-shakes: importing one small
 * export does not drag in the client.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUDGET_BYTES, measure } from '../scripts/bundle-size.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('browser bundle', () => {
  it('has no Node built-ins, imports centrifuge (not bundled), and fits the budget', async () => {
    const { gzipped, inputs, code } = await measure();
    expect(inputs.some((input) => input.startsWith('node:') || input.includes('storage-file'))).toBe(false);
    expect(code).toMatch(/from\s*"centrifuge"/);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('tree-shakes: MemoryStorage alone is a few hundred bytes', async () => {
    const result = await build({
      stdin: { contents: "import { MemoryStorage } from './packages/client/src/index.ts'; console.log(new MemoryStorage());", resolveDir: root, loader: 'ts' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      external: ['centrifuge'],
      write: false,
      logLevel: 'silent',
      plugins: [{ name: 'protocol', setup: (b) => b.onResolve({ filter: /^@parley\/protocol$/ }, () => ({ path: path.join(root, 'packages/protocol/src/index.ts') })) }],
    });
    const code = result.outputFiles[0]!.text;
    expect(code.length).toBeLessThan(1_000);
    expect(code).not.toContain('centrifuge');
  });
});
