/**
 * One PostgreSQL for the whole run: the system server when PARLEY_TEST_DATABASE_URL is set,
 * otherwise an embedded one in a temporary directory. Each test file then gets its own database
 * (see test/support/database.ts), so files run in parallel without sharing state.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../packages/server/src/db/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.PARLEY_TEST_DATABASE_URL;
  if (external) {
    project.provide('adminDatabaseUrl', external);
    return;
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-test-pg-'));
  await fs.chmod(dir, 0o755);
  const db = await startEmbeddedPostgres({ dataDir: dir, owner: true, database: 'postgres' });
  project.provide('adminDatabaseUrl', db.adminUrl);
  return async () => {
    await db.stop();
    await fs.rm(dir, { recursive: true, force: true });
  };
}
