/**
 * The `parley` command as a child process, against a fresh database of the test PostgreSQL
 * (DATABASE_URL), so no embedded PostgreSQL is started.
 */
import { decodeProtectedHeader, jwtVerify } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/database.js';
import { runCli, type CliResult } from '../../../test/support/cli.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let env: Record<string, string>;
const parley = (...args: string[]): Promise<CliResult> => runCli(args, env, 30_000);

function json(result: CliResult): any {
  expect(result.stderr, 'stderr').toBe('');
  expect(result.code, `exit code; stdout: ${result.stdout}`).toBe(0);
  const lines = result.stdout.trim().split('\n');
  expect(lines, 'one JSON document on stdout').toHaveLength(1);
  return JSON.parse(lines[0]!);
}

beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
});
afterAll(async () => {
  await db?.drop();
});

describe('parley CLI', { timeout: 120_000 }, () => {
  let app: { id: string; name: string };
  let firstKey: { key_id: string; secret: string };
  let secondKey: { key_id: string; secret: string };

  it('migrate applies the migrations, then reports the database up to date', async () => {
    const first = await parley('migrate');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied migrations 1(, \d+)*\n$/);
    const again = await parley('migrate');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('database is up to date\n');
    expect(json(await parley('migrate', '--json'))).toEqual({ applied: [] });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = await client.query('select version, count(*)::int as n from parley_migrations group by version');
      expect(rows.rows.length).toBeGreaterThan(0);
      expect(rows.rows.every((r) => r.n === 1)).toBe(true);
    } finally {
      await client.end();
    }
  });

  it('app create --json prints the app, its key id and secret', async () => {
    const created = json(await parley('app', 'create', '--name', 'x', '--json'));
    expect(created.app).toMatchObject({ id: expect.stringMatching(/^[a-z0-9]+$/), name: 'x' });
    expect(created.key_id).toMatch(new RegExp(`^${created.app.id}_[a-z0-9]+$`));
    expect(typeof created.secret).toBe('string');
    expect(created.secret.length).toBeGreaterThanOrEqual(32);
    app = created.app;
    firstKey = { key_id: created.key_id, secret: created.secret };
  });

  it('app create without --json prints the same facts for people', async () => {
    const result = await parley('app', 'create', '--name', 'human');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^app [a-z0-9]+ "human"\nkey id [a-z0-9]+_[a-z0-9]+\nsecret \S+\n$/);
  });

  it('app list --json lists the apps with their key ids', async () => {
    const listed = json(await parley('app', 'list', '--json'));
    expect(listed.apps.map((a: { name: string }) => a.name)).toEqual(['x', 'human']);
    const x = listed.apps.find((a: { name: string }) => a.name === 'x');
    expect(x.id).toBe(app.id);
    expect(x.keys).toEqual([firstKey.key_id]);
    const human = await parley('app', 'list');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${app.id}  x  keys: ${firstKey.key_id}`);
  });

  it('key create --app adds a second key', async () => {
    const key = json(await parley('key', 'create', '--app', app.id, '--json'));
    expect(key.key_id).toMatch(new RegExp(`^${app.id}_`));
    expect(key.key_id).not.toBe(firstKey.key_id);
    expect(typeof key.secret).toBe('string');
    secondKey = { key_id: key.key_id, secret: key.secret };
    const listed = json(await parley('app', 'list', '--json'));
    expect(listed.apps.find((a: { id: string }) => a.id === app.id).keys).toEqual([firstKey.key_id, secondKey.key_id]);
  });

  it('key create for an unknown app fails with exit code 1', async () => {
    const result = await parley('key', 'create', '--app', 'nosuchapp');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^parley: .*app/i);
  });

  it('token --key --user --ttl mints a user token signed with the key', async () => {
    const before = Math.floor(Date.now() / 1000);
    const minted = json(await parley('token', '--key', firstKey.key_id, '--user', 'u1', '--ttl', '60', '--json'));
    const after = Math.floor(Date.now() / 1000);
    const { payload, protectedHeader } = await jwtVerify(minted.token, new TextEncoder().encode(firstKey.secret), { algorithms: ['HS256'] });
    expect(protectedHeader.kid).toBe(firstKey.key_id);
    expect(payload.sub).toBe('u1');
    expect(payload.server).toBeUndefined();
    expect(payload.exp).toBeGreaterThanOrEqual(before + 60);
    expect(payload.exp).toBeLessThanOrEqual(after + 60);
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(Date.parse(minted.expires_at) / 1000).toBe(payload.exp);
    // Not signed with the other key.
    await expect(jwtVerify(minted.token, new TextEncoder().encode(secondKey.secret))).rejects.toThrow();
  });

  it('token without --json prints just the token', async () => {
    const result = await parley('token', '--key', secondKey.key_id, '--user', 'u2');
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secondKey.secret));
    expect(payload.sub).toBe('u2');
    expect(decodeProtectedHeader(token).kid).toBe(secondKey.key_id);
  });

  it('token --server mints a server token (no user needed)', async () => {
    const minted = json(await parley('token', '--key', firstKey.key_id, '--server', '--json'));
    const { payload } = await jwtVerify(minted.token, new TextEncoder().encode(firstKey.secret));
    expect(payload.server).toBe(true);
    expect(payload.sub).toBeUndefined();
    expect(minted.expires_at).toBeNull();
    expect(payload.exp).toBeUndefined();
  });

  it('token for an unknown key fails with exit code 1 and names the key', async () => {
    const result = await parley('token', '--key', `${app.id}_nosuchkey`, '--user', 'u1');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${app.id}_nosuchkey`);
    const asJson = await parley('token', '--key', 'nosuchkey', '--user', 'u1', '--json');
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout).error).toContain('nosuchkey');
  });

  it('key delete --key removes a key; the last key cannot be deleted', async () => {
    const deleted = json(await parley('key', 'delete', '--key', secondKey.key_id, '--json'));
    expect(deleted).toEqual({ deleted: secondKey.key_id });
    const listed = json(await parley('app', 'list', '--json'));
    expect(listed.apps.find((a: { id: string }) => a.id === app.id).keys).toEqual([firstKey.key_id]);
    // The deleted key can no longer mint.
    expect((await parley('token', '--key', secondKey.key_id, '--user', 'u1')).code).toBe(1);

    const last = await parley('key', 'delete', '--key', firstKey.key_id);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/^parley: .*last key/);
    expect(json(await parley('app', 'list', '--json')).apps.find((a: { id: string }) => a.id === app.id).keys).toEqual([firstKey.key_id]);

    const missing = await parley('key', 'delete', '--key', secondKey.key_id);
    expect(missing.code).toBe(1);
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['no command', [], /missing command/],
    ['an unknown option', ['migrate', '--frob'], /--frob/],
    ['app create without --name', ['app', 'create'], /missing --name/],
    ['an unknown app subcommand', ['app', 'remove'], /app create.*app list/],
    ['key create without --app', ['key', 'create'], /missing --app/],
    ['key delete without --key', ['key', 'delete'], /missing --key/],
    ['token without --key', ['token', '--user', 'u1'], /missing --key/],
    ['token without --user', ['token', '--key', 'k_1'], /missing --user/],
    ['a non-numeric --ttl', ['token', '--key', 'k_1', '--user', 'u1', '--ttl', 'abc'], /--ttl/],
    ['a zero --ttl', ['token', '--key', 'k_1', '--user', 'u1', '--ttl', '0'], /--ttl/],
    ['a negative --ttl', ['token', '--key', 'k_1', '--user', 'u1', '--ttl=-5'], /--ttl/],
  ];
  // Independent of the database state: run side by side.
  it.concurrent.each(usage)('%s is a usage error: exit code 2, message and usage on stderr', async (_, args, message) => {
    const result = await parley(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('usage: parley');
    expect(result.stdout).toBe('');
  });

  it('a configuration error exits 2 and names the variable', async () => {
    const result = await runCli(['migrate'], { ...env, DATABASE_URL: 'mysql://x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/configuration error: DATABASE_URL/);
  });

  it('--help and -h print the usage and exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['token', '--help']]) {
      const result = await parley(...args);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('usage: parley <command>');
      for (const command of ['start', 'migrate', 'app create', 'app list', 'key create', 'key delete', 'token']) expect(result.stdout).toContain(command);
      expect(result.stderr).toBe('');
    }
  });
});
