import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, entry = 'index') => fileURLToPath(new URL(`./packages/${pkg}/src/${entry}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources; no build needed. Exact matches, so that subpaths
    // (`@parley/client/node`) resolve to their own entry.
    alias: [
      { find: /^@parley\/protocol$/, replacement: src('protocol') },
      { find: /^@parley\/server$/, replacement: src('server') },
      { find: /^@parley\/client$/, replacement: src('client') },
      { find: /^@parley\/client\/node$/, replacement: src('client', 'node') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
  },
});
