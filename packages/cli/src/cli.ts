/**
 * The `parley` command. Admin commands talk to the database directly (DATABASE_URL, or the
 * embedded one in PARLEY_DATA_DIR, reused when a server is running), so they work with or
 * without a running server. Exit codes: 0 ok, 1 failure, 2 usage or configuration error.
 */
import { parseArgs } from 'node:util';
import type pg from 'pg';
import type * as ParleyServer from '@parley/server';

// Loaded on first use: help and usage errors answer without loading the whole server.
type Server = typeof ParleyServer;
let loaded: Promise<Server> | undefined;
const loadServer = (): Promise<Server> => (loaded ??= import('@parley/server'));

export const USAGE = `usage: parley <command> [options]

commands:
  start                                   run the server (REST + WebSocket) on PORT
  migrate                                 apply pending database migrations
  app create --name <name>                create an app and its first key
  app list                                list apps and their key ids
  key create --app <app_id>               add a key to an app (rotation)
  key delete --key <key_id>               delete a key; its tokens stop working
  token --key <key_id> --user <id> [--ttl <seconds>] [--server]
                                          mint a user (or server) token

options:
  --json        machine-readable output
  -h, --help    this help

environment: DATABASE_URL, PARLEY_DATA_DIR, ... (see README "Configuration")`;

class UsageError extends Error {}

interface Output {
  json: boolean;
  print(human: string, data: unknown): void;
}

/** Opens the database, brings it up to date (unless `migrate: false`), runs `fn`, closes everything. */
async function withDatabase<T>(fn: (pool: pg.Pool, parley: Server) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const parley = await loadServer();
  const config = parley.loadConfig();
  const database = await parley.openDatabase(config, { owner: false });
  const pool = parley.createPool(database.url, 2);
  try {
    if (options.migrate !== false) await parley.migrate(pool);
    return await fn(pool, parley);
  } finally {
    await pool.end();
    await database.stop();
  }
}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`missing ${flag}`);
  return value;
}

async function keySecret(pool: pg.Pool, keyId: string): Promise<{ app_id: string; secret: string }> {
  const result = await pool.query<{ app_id: string; secret: string }>('select app_id, secret from app_keys where app_id = split_part($1, \'_\', 1) and key_id = $1', [keyId]);
  const row = result.rows[0];
  if (!row) throw new Error(`no key ${keyId}`);
  return row;
}

/** Runs one command; resolves to the exit code (undefined: keep running, as `start` does). */
export async function run(argv: string[]): Promise<number | undefined> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        app: { type: 'string' },
        key: { type: 'string' },
        user: { type: 'string' },
        ttl: { type: 'string' },
        server: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`parley: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const out: Output = {
    json: values.json === true,
    print(human, data) {
      console.log(this.json ? JSON.stringify(data) : human);
    },
  };
  const [command, sub] = positionals;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!command) {
    console.error(`parley: missing command\n\n${USAGE}`);
    return 2;
  }
  try {
    switch (command) {
      case 'start':
        await (await loadServer()).runFromCli();
        return undefined;
      case 'migrate': {
        // Not migrated beforehand (as other commands are), so that this reports what it applied.
        const applied = await withDatabase((pool, parley) => parley.migrate(pool), { migrate: false });
        out.print(applied.length ? `applied migrations ${applied.join(', ')}` : 'database is up to date', { applied });
        return 0;
      }
      case 'app':
        if (sub === 'create') {
          const name = need(values.name, '--name');
          const created = await withDatabase((pool, parley) => parley.doCreateApp(pool, name));
          out.print(`app ${created.app.id} "${created.app.name}"\nkey id ${created.key_id}\nsecret ${created.secret}`, created);
          return 0;
        }
        if (sub === 'list') {
          const rows = await withDatabase(async (pool) =>
            (await pool.query<{ id: string; name: string; keys: string[] }>(
              `select a.app_id as id, a.name, coalesce(array_agg(k.key_id order by k.created_at) filter (where k.key_id is not null), '{}') as keys
               from apps a left join app_keys k on k.app_id = a.app_id group by a.app_id, a.name, a.created_at order by a.created_at`,
            )).rows,
          );
          out.print(rows.map((r) => `${r.id}  ${r.name}  keys: ${r.keys.join(', ')}`).join('\n') || 'no apps', { apps: rows });
          return 0;
        }
        throw new UsageError('expected "app create" or "app list"');
      case 'key':
        if (sub === 'create') {
          const appId = need(values.app, '--app');
          const key = await withDatabase((pool, parley) => parley.doCreateKey(pool, appId));
          out.print(`key id ${key.key_id}\nsecret ${key.secret}`, key);
          return 0;
        }
        if (sub === 'delete') {
          const keyId = need(values.key, '--key');
          await withDatabase(async (pool, parley) => {
            const { app_id } = await keySecret(pool, keyId);
            // Running servers drop the key from their caches within 2 s.
            await parley.doDeleteKey(pool, app_id, keyId);
          });
          out.print(`deleted key ${keyId}`, { deleted: keyId });
          return 0;
        }
        throw new UsageError('expected "key create" or "key delete"');
      case 'token': {
        const keyId = need(values.key, '--key');
        const server = values.server === true;
        const user = server ? values.user : need(values.user, '--user');
        let ttl: number | undefined;
        if (values.ttl !== undefined) {
          if (!/^\d+$/.test(values.ttl) || Number(values.ttl) < 1) throw new UsageError('--ttl must be a positive number of seconds');
          ttl = Number(values.ttl);
        }
        const key = await withDatabase((pool) => keySecret(pool, keyId));
        const minted = await (await loadServer()).mintToken({ keyId, secret: key.secret, userId: user, server, expiresIn: ttl });
        out.print(minted.token, { token: minted.token, expires_at: minted.expiresAt?.toISOString() ?? null });
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`parley: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    const ConfigError = loaded && (await loaded.catch(() => undefined))?.ConfigError;
    if (ConfigError && error instanceof ConfigError) {
      console.error(`parley: configuration error: ${error.message}`);
      return 2;
    }
    if (out.json) console.log(JSON.stringify({ error: (error as Error).message }));
    else console.error(`parley: ${(error as Error).message}`);
    return 1;
  }
}
