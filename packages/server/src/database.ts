import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.js';
import { startEmbeddedPostgres } from './db/embedded.js';

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
  /** Synchronous last resort before process.exit: tells an embedded PostgreSQL to shut down. */
  abandon(): void;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL under PARLEY_DATA_DIR. */
export async function openDatabase(config: Config, options: { owner: boolean; log?: (line: string) => void }): Promise<DatabaseHandle> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => {}, abandon: () => {} };
  const db = await startEmbeddedPostgres({ dataDir: config.dataDir, owner: options.owner, log: options.log });
  return { url: db.url, embedded: true, stop: db.stop, abandon: db.abandon };
}

/** PARLEY_ADMIN_TOKEN, or (embedded default) one generated on first start and kept in the data dir. */
export async function resolveAdminToken(config: Config): Promise<{ token: string | null; generated: boolean }> {
  if (config.adminToken) return { token: config.adminToken, generated: false };
  if (config.databaseUrl) return { token: null, generated: false };
  const file = path.join(config.dataDir, 'admin-token');
  if (existsSync(file)) return { token: (await fs.readFile(file, 'utf8')).trim(), generated: false };
  const token = 'padm_' + randomBytes(24).toString('base64url');
  await fs.mkdir(config.dataDir, { recursive: true });
  await fs.writeFile(file, token + '\n', { mode: 0o600 });
  return { token, generated: true };
}
