import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderErrorCodesMarkdown } from './error-docs.js';

describe('docs/error-codes.md', () => {
  it('matches the registry (regenerate with npm run docs:errors)', () => {
    const onDisk = fs.readFileSync(new URL('../../../docs/error-codes.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(renderErrorCodesMarkdown());
  });
});
