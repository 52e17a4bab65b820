/**
 * The JWKS fetch policy (SSRF guard): an app's server token chooses its providers' JWKS URLs, so
 * the operator decides where the server may fetch from. Refused URLs fail when set (400) and at
 * fetch time (503, the server never connects), including names that resolve to private addresses.
 */
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedJwksFetch, isNonPublicAddress, JwksAddressRefused, jwksUrlProblem } from '../src/auth/jwks-fetch.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';

describe('jwksUrlProblem and isNonPublicAddress', () => {
  const open = { allowPrivate: true, allowedHosts: null };
  const strict = { allowPrivate: false, allowedHosts: null };
  it('tells public from private, loopback, link-local and mapped addresses', () => {
    for (const address of ['10.1.2.3', '127.0.0.1', '169.254.169.254', '172.20.0.1', '192.168.1.1', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      expect(isNonPublicAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isNonPublicAddress(address), address).toBe(false);
  });

  it('refuses plain http, private literals and localhost unless private addresses are allowed', () => {
    expect(jwksUrlProblem('https://issuer.example.com/.well-known/jwks.json', strict)).toBeNull();
    expect(jwksUrlProblem('http://issuer.example.com/jwks.json', strict)).toBe('must use https');
    expect(jwksUrlProblem('https://169.254.169.254/latest/meta-data', strict)).toMatch(/private/);
    expect(jwksUrlProblem('https://[::1]:8443/jwks', strict)).toMatch(/private/);
    expect(jwksUrlProblem('https://localhost/jwks', strict)).toMatch(/private/);
    expect(jwksUrlProblem('http://127.0.0.1:9999/jwks', open)).toBeNull();
    expect(jwksUrlProblem('ftp://issuer.example.com/jwks', open)).toBe('must use https');
  });

  it('keeps to the allowed hosts when the operator names them', () => {
    const listed = { allowPrivate: false, allowedHosts: ['auth.example.com', '*.supabase.co'] };
    expect(jwksUrlProblem('https://auth.example.com/jwks', listed)).toBeNull();
    expect(jwksUrlProblem('https://abc.supabase.co/auth/v1/jwks', listed)).toBeNull();
    expect(jwksUrlProblem('https://supabase.co.evil.com/jwks', listed)).toMatch(/not in PARLEY_JWKS_ALLOWED_HOSTS/);
    expect(jwksUrlProblem('https://evil.com/jwks', listed)).toMatch(/not in PARLEY_JWKS_ALLOWED_HOSTS/);
  });

  it('refuses a name that resolves to a private address before connecting', async () => {
    const name = os.hostname();
    const addresses = await lookup(name, { all: true });
    // The check below means something only if this machine's name resolves to a non-public address.
    expect(addresses.every((a) => isNonPublicAddress(a.address))).toBe(true);
    const fetchJwks = guardedJwksFetch({ allowPrivate: false, allowedHosts: null });
    await expect(fetchJwks(`https://${name}:1/jwks.json`, { headers: new Headers(), signal: new AbortController().signal })).rejects.toBeInstanceOf(JwksAddressRefused);
  });
});

describe('a server that refuses private JWKS addresses', () => {
  let t: TestServer;
  let jwks: http.Server;
  let hits = 0;
  let port = 0;
  let keys: { privateKey: CryptoKey; jwk: Record<string, unknown> };
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    keys = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' } };
    jwks = http.createServer((_request, response) => {
      hits++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [keys.jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    port = (jwks.address() as AddressInfo).port;
    t = await startTestServer({ PARLEY_JWKS_ALLOW_PRIVATE: 'false' });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => jwks.close(() => resolve()));
  });

  const provider = (jwksUrl: string) => ({ name: 'idp', jwks_url: jwksUrl, issuer: 'https://idp.test', audience: 'parley' });

  it('will not store a provider at a private or plain-http address (400 naming the field)', async () => {
    const app = await t.createApp('ssrf');
    for (const url of [`http://127.0.0.1:${port}/jwks.json`, 'https://169.254.169.254/latest/meta-data/iam', 'https://localhost/jwks']) {
      const res = await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { auth_providers: [provider(url)] } } });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(JSON.stringify(res.body.error)).toContain('auth_providers[0].jwks_url');
    }
  });

  it('a name resolving to a private address is refused at fetch time: 503, and nothing is fetched', async () => {
    const app = await t.createApp('ssrf-dns');
    const saved = await t.request('PATCH', '/v1/app', { token: app.serverToken, body: { settings: { auth_providers: [provider(`https://${os.hostname()}:${port}/jwks.json`)] } } });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('https://idp.test').setAudience('parley').setSubject('u1').setIssuedAt().setExpirationTime('10m').sign(keys.privateKey);
    const res = await t.request('GET', '/v1/me', { token, headers: { 'x-api-key': app.keyId } });
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect(res.body.error.code).toBe('UNAVAILABLE');
    expect(res.headers['retry-after']).toBeDefined();
    expect(hits).toBe(0);
  });
});
