/**
 * External identity providers: RS256/ES256 tokens verified against a JWKS served by a local
 * HTTP server, with the app named by X-Api-Key. Anything else is refused with 401 (503 when the
 * provider's key set cannot be fetched).
 */
import { createHmac, createPublicKey } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Response, type TestApp, type TestServer } from '../../../test/support/server.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'parley';

let t: TestServer;
let jwksServer: http.Server;
let jwksUrl: string;
let jwksHits = 0;
/** Fetches of a second provider's key set, which is down (503). */
let downHits = 0;

let rsa: { privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK };
let ec: { privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK };
/** A key pair that is not published in the JWKS. */
let rogue: { privateKey: CryptoKey; publicKey: CryptoKey };

/** The provider-backed app, one with a custom user id claim, one trusting another issuer, one with no providers. */
let app: TestApp;
let claimApp: TestApp;
let otherIssuerApp: TestApp;
let bareApp: TestApp;

async function keyPair(alg: 'RS256' | 'ES256', kid: string) {
  const pair = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
  return { ...pair, jwk };
}

async function configureProviders(target: TestApp, providers: Array<Record<string, unknown>>) {
  const response = await t.request('PATCH', '/v1/app', { token: target.serverToken, body: { settings: { auth_providers: providers } } });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
}

const provider = (overrides: Record<string, unknown> = {}) => ({
  name: 'supabase',
  jwks_url: jwksUrl,
  issuer: ISSUER,
  audience: AUDIENCE,
  user_id_claim: 'sub',
  ...overrides,
});

beforeAll(async () => {
  rsa = await keyPair('RS256', 'rsa-key-1');
  ec = await keyPair('ES256', 'ec-key-1');
  rogue = await generateKeyPair('RS256');

  jwksServer = http.createServer((request, response) => {
    if (request.url === '/down/jwks.json') {
      downHits++;
      response.writeHead(503).end();
      return;
    }
    jwksHits++;
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;

  t = await startTestServer();
  app = await t.createApp('jwks');
  claimApp = await t.createApp('jwks-claim');
  otherIssuerApp = await t.createApp('jwks-other-issuer');
  bareApp = await t.createApp('jwks-bare');
  await configureProviders(app, [provider()]);
  await configureProviders(claimApp, [provider({ name: 'auth0', user_id_claim: 'user_id' })]);
  await configureProviders(otherIssuerApp, [provider({ name: 'firebase', issuer: 'https://other-issuer.test' })]);
});

afterAll(async () => {
  await t?.close();
  await new Promise<void>((resolve) => (jwksServer ? jwksServer.close(() => resolve()) : resolve()));
});

const now = () => Math.floor(Date.now() / 1000);
let counter = 0;
const freshId = (label: string) => `${label}-${process.pid}-${++counter}`;

interface SignOptions {
  alg?: 'RS256' | 'ES256';
  key?: CryptoKey;
  kid?: string;
  issuer?: string;
  audience?: string;
  exp?: number;
  claims?: JWTPayload;
  sub?: string;
}

/** A provider-issued token: RS256 with the published RSA key unless told otherwise. */
async function providerToken(sub: string | undefined, options: SignOptions = {}): Promise<string> {
  const alg = options.alg ?? 'RS256';
  const key = options.key ?? (alg === 'ES256' ? ec.privateKey : rsa.privateKey);
  const kid = options.kid ?? (alg === 'ES256' ? 'ec-key-1' : 'rsa-key-1');
  let jwt = new SignJWT({ ...(options.claims ?? {}) })
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setExpirationTime(options.exp ?? now() + 600);
  if (options.claims?.iat === undefined) jwt = jwt.setIssuedAt();
  if (sub !== undefined) jwt = jwt.setSubject(sub);
  return jwt.sign(key);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function hmacToken(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const me = (token: string, apiKey: string | null, headers: Record<string, string> = {}) =>
  t.request('GET', '/v1/me', { token, headers: apiKey ? { 'x-api-key': apiKey, ...headers } : headers });

async function userRow(appId: string, id: string) {
  const result = await t.server.services.pool.query('select id, deactivated_at from users where app_id = $1 and id = $2', [appId, id]);
  return result.rows[0] as { id: string; deactivated_at: Date | null } | undefined;
}

function expectUnauthorized(response: Response, code: 'UNAUTHORIZED' | 'TOKEN_EXPIRED' = 'UNAUTHORIZED') {
  expect(response.status, JSON.stringify(response.body)).toBe(401);
  expect(response.body.error.code).toBe(code);
}

describe('accepted provider tokens', () => {
  it('accepts an RS256 token from the JWKS and auto-creates its user in the X-Api-Key app', async () => {
    const id = freshId('rs');
    const response = await me(await providerToken(id), app.keyId);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.user.id).toBe(id);
    expect(await userRow(app.appId, id)).toBeDefined();
    // Only in that app: nothing crosses tenants.
    for (const elsewhere of [claimApp, otherIssuerApp, bareApp]) expect(await userRow(elsewhere.appId, id)).toBeUndefined();
  });

  it('accepts an ES256 token from the JWKS', async () => {
    const id = freshId('es');
    const response = await me(await providerToken(id, { alg: 'ES256' }), app.keyId);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.user.id).toBe(id);
  });

  it('takes the user id from the configured claim', async () => {
    const id = freshId('claimed');
    const token = await providerToken('the-sub-is-ignored', { claims: { user_id: id } });
    const response = await me(token, claimApp.keyId);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.user.id).toBe(id);
    expect(await userRow(claimApp.appId, 'the-sub-is-ignored')).toBeUndefined();
    // Without that claim there is no user to be: refused.
    expectUnauthorized(await me(await providerToken(freshId('no-claim')), claimApp.keyId));
  });

  it('accepts a token expired 30 s ago (within skew)', async () => {
    const id = freshId('skew');
    const response = await me(await providerToken(id, { exp: now() - 30 }), app.keyId);
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(id);
  });

  it('never turns a provider token into a server token, and ignores X-Parley-User', async () => {
    const id = freshId('not-server');
    const victim = freshId('victim');
    await app.upsertUsers([{ id: victim }]);
    const token = await providerToken(id, { claims: { server: true } });
    const settings = await t.request('GET', '/v1/app', { token, headers: { 'x-api-key': app.keyId } });
    expect(settings.status).toBe(403);
    expect(settings.body.error.code).toBe('PERMISSION_DENIED');
    const response = await me(token, app.keyId, { 'x-parley-user': victim });
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(id);
  });

  it('caches the key set instead of fetching it for every request', async () => {
    expect((await me(await providerToken(freshId('warm')), app.keyId)).status).toBe(200);
    const before = jwksHits;
    for (let i = 0; i < 5; i++) {
      const alg = i % 2 ? 'ES256' : 'RS256';
      expect((await me(await providerToken(freshId('cached'), { alg }), app.keyId)).status).toBe(200);
    }
    expect(jwksHits).toBe(before);
  });

  it('refuses a provider user once deactivated', async () => {
    const id = freshId('deactivated');
    const token = await providerToken(id);
    expect((await me(token, app.keyId)).status).toBe(200);
    expect((await t.request('POST', `/v1/users/${id}/deactivate`, { token: app.serverToken })).status).toBe(200);
    expectUnauthorized(await me(token, app.keyId));
    expect((await t.request('POST', `/v1/users/${id}/reactivate`, { token: app.serverToken })).status).toBe(200);
    expect((await me(token, app.keyId)).status).toBe(200);
  });
});

describe('provider configuration', () => {
  it('only consults the providers trusting the token issuer: a down provider does not affect another', async () => {
    const multi = await t.createApp('jwks-multi');
    const downUrl = new URL('/down/jwks.json', jwksUrl).toString();
    await configureProviders(multi, [provider({ name: 'down', issuer: 'https://down.test', jwks_url: downUrl }), provider()]);
    const id = freshId('multi');
    const response = await me(await providerToken(id), multi.keyId);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.user.id).toBe(id);
    expect(downHits).toBe(0);
    // A token of the down provider is refused (its keys cannot be had), not accepted by the other:
    // 503 with Retry-After — the provider is down, the token may be fine.
    const stranded = freshId('stranded');
    const refused = await me(await providerToken(stranded, { issuer: 'https://down.test' }), multi.keyId);
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    expect(refused.body.error.code).toBe('UNAVAILABLE');
    expect(refused.headers['retry-after']).toBe('30');
    expect(downHits).toBeGreaterThan(0);
    expect(await userRow(multi.appId, stranded)).toBeUndefined();
  });

  it('stops accepting a provider as soon as it is removed, even with a request in flight', async () => {
    const changing = await t.createApp('jwks-changing');
    await configureProviders(changing, [provider()]);
    const token = await providerToken(freshId('removed'));

    // Catch a request after it has read the app's settings, remove the provider, then let it go.
    const pool = t.server.services.pool;
    const original = pool.query;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const held = new Promise<void>((resolve) => (reached = resolve));
    let armed = true;
    pool.query = (async (...args: unknown[]) => {
      const result = await (original as (...a: unknown[]) => Promise<unknown>).apply(pool, args);
      if (armed && typeof args[0] === 'string' && args[0].includes('from apps where app_id = $1')) {
        armed = false;
        reached();
        await gate;
      }
      return result;
    }) as typeof pool.query;
    let inFlight: Promise<Response>;
    try {
      inFlight = me(token, changing.keyId);
      await held;
      await configureProviders(changing, []);
    } finally {
      pool.query = original;
      release();
    }
    expect((await inFlight!).status).toBe(200);
    expectUnauthorized(await me(token, changing.keyId));
  });
});

describe('refused provider tokens', () => {
  /** Refused with `code`, and the would-be user is not created in any app. */
  async function expectRefused(token: string, apiKey: string | null, id: string, code: 'UNAUTHORIZED' | 'TOKEN_EXPIRED' = 'UNAUTHORIZED') {
    expectUnauthorized(await me(token, apiKey), code);
    for (const target of [app, claimApp, otherIssuerApp, bareApp]) expect(await userRow(target.appId, id)).toBeUndefined();
  }

  it('refuses a wrong issuer', async () => {
    const id = freshId('bad-iss');
    await expectRefused(await providerToken(id, { issuer: 'https://evil.test' }), app.keyId, id);
  });

  it('refuses a wrong audience', async () => {
    const id = freshId('bad-aud');
    await expectRefused(await providerToken(id, { audience: 'someone-else' }), app.keyId, id);
  });

  it('answers TOKEN_EXPIRED for a token expired more than 60 s ago', async () => {
    const id = freshId('expired');
    await expectRefused(await providerToken(id, { exp: now() - 300 }), app.keyId, id, 'TOKEN_EXPIRED');
  });

  it('refuses a token signed by a key that is not in the JWKS', async () => {
    // Claiming a published kid: the signature does not match that key.
    const posing = freshId('rogue-known-kid');
    await expectRefused(await providerToken(posing, { key: rogue.privateKey, kid: 'rsa-key-1' }), app.keyId, posing);
    // Under its own kid: no such key in the set.
    const unknown = freshId('rogue-own-kid');
    await expectRefused(await providerToken(unknown, { key: rogue.privateKey, kid: 'rogue-key' }), app.keyId, unknown);
    // An ES256 header with the RSA key's kid.
    const mismatched = freshId('alg-kid-mismatch');
    await expectRefused(await providerToken(mismatched, { alg: 'ES256', kid: 'rsa-key-1' }), app.keyId, mismatched);
  });

  it('refuses HS256 signed with the JWKS public key material (alg confusion)', async () => {
    const pem = createPublicKey({ key: rsa.jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    const secrets: Array<string | Buffer> = [pem, JSON.stringify(rsa.jwk), Buffer.from(rsa.jwk.n!, 'base64url'), JSON.stringify({ keys: [rsa.jwk, ec.jwk] })];
    for (const secret of secrets) {
      for (const kid of ['rsa-key-1', app.keyId, undefined]) {
        const id = freshId('hs-confusion');
        const header = kid === undefined ? { alg: 'HS256', typ: 'JWT' } : { alg: 'HS256', typ: 'JWT', kid };
        const token = hmacToken(header, { sub: id, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600 }, secret);
        await expectRefused(token, app.keyId, id);
      }
    }
  });

  it('refuses alg "none" with X-Api-Key', async () => {
    for (const alg of ['none', 'NONE']) {
      const id = freshId('none');
      const token = `${b64({ alg, kid: 'rsa-key-1', typ: 'JWT' })}.${b64({ sub: id, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600 })}.`;
      await expectRefused(token, app.keyId, id);
    }
  });

  it('refuses a provider token without X-Api-Key, or with an unknown one', async () => {
    const id = freshId('no-api-key');
    const token = await providerToken(id);
    await expectRefused(token, null, id);
    await expectRefused(token, `${app.appId}_0000000000000000`, id);
    await expectRefused(token, 'not-a-key', id);
  });

  it("refuses an X-Api-Key of another app whose providers do not trust this issuer", async () => {
    const id = freshId('other-issuer');
    await expectRefused(await providerToken(id), otherIssuerApp.keyId, id);
    // That app's own issuer is accepted, into that app only.
    const own = freshId('own-issuer');
    const response = await me(await providerToken(own, { issuer: 'https://other-issuer.test' }), otherIssuerApp.keyId);
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(own);
    expect(await userRow(app.appId, own)).toBeUndefined();
  });

  it('refuses every provider token for an app with no providers', async () => {
    const id = freshId('bare');
    await expectRefused(await providerToken(id), bareApp.keyId, id);
    await expectRefused(await providerToken(id, { alg: 'ES256' }), bareApp.keyId, id);
  });

  it('refuses a token issued far in the future', async () => {
    const id = freshId('iat-future');
    await expectRefused(await providerToken(id, { claims: { iat: now() + 3600 }, exp: now() + 7200 }), app.keyId, id);
  });

  it('refuses a token whose user id claim is not a valid user id', async () => {
    for (const sub of ['has space', 'a/b', 'x'.repeat(129)]) {
      expectUnauthorized(await me(await providerToken(sub), app.keyId));
      expect(await userRow(app.appId, sub)).toBeUndefined();
    }
  });
});
