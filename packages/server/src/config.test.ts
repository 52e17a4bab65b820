import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

/** Runs loadConfig and returns the ConfigError it throws (fails the test when it does not throw one). */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.databaseUrl).toBeNull();
    expect(config.dataDir).toBe(path.resolve('./.parley'));
    expect(path.isAbsolute(config.dataDir)).toBe(true);
    expect(config.adminToken).toBeNull();
    expect(config.redisUrl).toBeNull();
    expect(config.broker).toBe('memory');
    expect(config.logLevel).toBe('info');
    expect(config.production).toBe(false);
    expect(config.shutdownTimeoutSeconds).toBeGreaterThan(0);
    expect(config.bodyLimit).toBeGreaterThan(0);
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ PORT: '', HOST: '', DATABASE_URL: '', PARLEY_DATA_DIR: '', PARLEY_ADMIN_TOKEN: '', PARLEY_REDIS_URL: '', PARLEY_BROKER: '', LOG_LEVEL: '' });
    expect(config).toEqual(loadConfig({}));
  });

  it('listens on every interface in production unless HOST says otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).host).toBe('0.0.0.0');
    expect(loadConfig({ NODE_ENV: 'production' }).production).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
    expect(loadConfig({ NODE_ENV: 'development' }).host).toBe('127.0.0.1');
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '::1',
      DATABASE_URL: 'postgres://u:p@db:5432/parley',
      PARLEY_DATA_DIR: 'some/relative/dir',
      PARLEY_ADMIN_TOKEN: 'x'.repeat(16),
      PARLEY_REDIS_URL: 'redis://cache:6379',
      PARLEY_BROKER: 'nats://bus:4222',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '::1',
      databaseUrl: 'postgres://u:p@db:5432/parley',
      dataDir: path.resolve('some/relative/dir'),
      adminToken: 'x'.repeat(16),
      redisUrl: 'redis://cache:6379',
      broker: 'nats://bus:4222',
      logLevel: 'warn',
    });
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/parley' }).databaseUrl).toBe('postgresql://db/parley');
    expect(loadConfig({ PARLEY_REDIS_URL: 'rediss://cache' }).redisUrl).toBe('rediss://cache');
    expect(loadConfig({ PARLEY_BROKER: 'redis://bus' }).broker).toBe('redis://bus');
    expect(loadConfig({ PARLEY_BROKER: 'memory' }).broker).toBe('memory');
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    }
  });

  const bad: Array<[string, string]> = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '3000.5'],
    ['PORT', ' 3000'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['PARLEY_REDIS_URL', 'http://x'],
    ['PARLEY_REDIS_URL', 'localhost:6379'],
    ['PARLEY_BROKER', 'kafka://x'],
    ['PARLEY_BROKER', 'redis'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_LEVEL', 'INFO'],
    ['PARLEY_ADMIN_TOKEN', 'short'],
    ['PARLEY_ADMIN_TOKEN', 'x'.repeat(15)],
    ['PARLEY_SHUTDOWN_TIMEOUT', '0'],
    ['PARLEY_BODY_LIMIT', 'lots'],
    ['PARLEY_JWKS_ALLOW_PRIVATE', 'maybe'],
    ['PARLEY_JWKS_ALLOWED_HOSTS', 'https://auth.example.com/'],
  ];
  it.each(bad)('rejects %s=%s with a ConfigError naming the variable', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.name).toBe('ConfigError');
  });

  it('names the offending variable even when the others are fine', () => {
    const env = { PORT: '8080', LOG_LEVEL: 'debug', DATABASE_URL: 'postgres://db/p', PARLEY_REDIS_URL: 'ftp://x' };
    expect(configError(env).variable).toBe('PARLEY_REDIS_URL');
  });

  it('does not echo the password of a malformed database or Redis URL', () => {
    const error = configError({ DATABASE_URL: 'postgres://parley:p@ss:w0rd@db:port/parley' });
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).not.toContain('w0rd');
    expect(error.message).toContain('***@');
    const redis = configError({ PARLEY_REDIS_URL: 'redis://:hunter2@cache:notaport' });
    expect(redis.message).not.toContain('hunter2');
    // Values without credentials are shown as given.
    expect(configError({ DATABASE_URL: 'not a url' }).message).toContain('"not a url"');
  });

  it('does not echo a rejected admin token', () => {
    const error = configError({ PARLEY_ADMIN_TOKEN: 'secret-ish' });
    expect(error.message).not.toContain('secret-ish');
  });

  it('reads the typing timeout, the presence throttle and the last seen interval', () => {
    expect(loadConfig({})).toMatchObject({ typingTimeoutMs: 7_000, presenceThrottleMs: 5_000, lastSeenIntervalMs: 60_000 });
    expect(loadConfig({ PARLEY_TYPING_TIMEOUT_MS: '500', PARLEY_PRESENCE_THROTTLE_MS: '0', PARLEY_LAST_SEEN_INTERVAL_MS: '1000' })).toMatchObject({
      typingTimeoutMs: 500,
      presenceThrottleMs: 0,
      lastSeenIntervalMs: 1_000,
    });
    expect(configError({ PARLEY_TYPING_TIMEOUT_MS: '7s' }).variable).toBe('PARLEY_TYPING_TIMEOUT_MS');
    expect(configError({ PARLEY_TYPING_TIMEOUT_MS: '0' }).variable).toBe('PARLEY_TYPING_TIMEOUT_MS');
    expect(configError({ PARLEY_LAST_SEEN_INTERVAL_MS: '-1' }).variable).toBe('PARLEY_LAST_SEEN_INTERVAL_MS');
  });

  it('reads the JWKS fetch policy: private addresses allowed outside production only, an optional host list', () => {
    expect(loadConfig({}).jwksPolicy).toEqual({ allowPrivate: true, allowedHosts: null });
    expect(loadConfig({ NODE_ENV: 'production' }).jwksPolicy).toEqual({ allowPrivate: false, allowedHosts: null });
    expect(loadConfig({ NODE_ENV: 'production', PARLEY_JWKS_ALLOW_PRIVATE: 'true' }).jwksPolicy.allowPrivate).toBe(true);
    expect(loadConfig({ PARLEY_JWKS_ALLOW_PRIVATE: 'off' }).jwksPolicy.allowPrivate).toBe(false);
    expect(loadConfig({ PARLEY_JWKS_ALLOWED_HOSTS: 'auth.example.com, *.supabase.co' }).jwksPolicy.allowedHosts).toEqual(['auth.example.com', '*.supabase.co']);
  });

  it('does not read process.env when given an environment', () => {
    const saved = process.env.PORT;
    process.env.PORT = 'abc';
    try {
      expect(loadConfig({}).port).toBe(3000);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });
});
