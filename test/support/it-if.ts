import { it } from 'vitest';

/**
 * Registers the test only where it applies (a shared engine, running as root), so that no run
 * reports skipped tests: what does not apply to a configuration is simply not part of it.
 */
export function itIf(condition: boolean, name: string, fn: () => Promise<void> | void, timeout?: number): void {
  if (condition) it(name, fn, timeout);
}
