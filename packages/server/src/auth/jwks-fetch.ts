/**
 * Where the server may fetch an app's JWKS from. An app's server token sets `jwks_url`, so without
 * a guard any tenant could make the server request internal addresses (SSRF: metadata services,
 * admin ports). The operator's policy (docs/subsystems/auth.md "JWKS fetch policy"):
 * - `PARLEY_JWKS_ALLOWED_HOSTS`: when set, only these hosts (`auth.example.com`, `*.supabase.co`);
 * - private, loopback, link-local and other non-public addresses are refused unless
 *   `PARLEY_JWKS_ALLOW_PRIVATE` is on (the default outside production, so a local provider works
 *   in development). The check runs on the address the connection actually uses (a custom DNS
 *   lookup), so a public name that resolves to a private address is refused too;
 * - plain `http:` only where private addresses are allowed (development).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

export interface JwksFetchPolicy {
  allowPrivate: boolean;
  /** Host names allowed (exact, or `*.suffix`); null: any public host. */
  allowedHosts: string[] | null;
}

/** The policy refused the URL or the address it resolves to. */
export class JwksAddressRefused extends Error {}

const MAX_JWKS_BYTES = 512 * 1024;

const nonPublic = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) nonPublic.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) nonPublic.addSubnet(net, prefix, 'ipv6');

/** Whether an IP address is anything but a public unicast address (IPv4-mapped IPv6 included). */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return nonPublic.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return nonPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function hostAllowed(host: string, allowed: string[]): boolean {
  const name = host.toLowerCase();
  return allowed.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.startsWith('*.') ? name.endsWith(p.slice(1)) && name.length > p.length - 1 : name === p;
  });
}

/** Why `url` may not be used as a JWKS URL under `policy`, or null when it may (checked when an app sets it, and before each fetch). */
export function jwksUrlProblem(url: string, policy: JwksFetchPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && policy.allowPrivate)) return 'must use https';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (policy.allowedHosts && !hostAllowed(host, policy.allowedHosts)) return `host ${host} is not in PARLEY_JWKS_ALLOWED_HOSTS`;
  if (!policy.allowPrivate && (isIP(host) ? isNonPublicAddress(host) : host === 'localhost' || host.endsWith('.localhost'))) return 'must not point at a private or loopback address';
  return null;
}

/** A `fetch` for jose's remote key sets that enforces the policy on the address it connects to. */
export function guardedJwksFetch(policy: JwksFetchPolicy) {
  return async (url: string, options: { headers: Headers; signal: AbortSignal }): Promise<Response> => {
    const problem = jwksUrlProblem(url, policy);
    if (problem) throw new JwksAddressRefused(`JWKS URL ${problem}`);
    const target = new URL(url);
    const lookup = (hostname: string, lookupOptions: object, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
      dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        const refused = !policy.allowPrivate && addresses.some((a) => isNonPublicAddress(a.address));
        if (refused) return callback(new JwksAddressRefused(`${hostname} resolves to a private address`), []);
        if ((lookupOptions as { all?: boolean }).all) return callback(null, addresses);
        return callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    };
    const client = target.protocol === 'https:' ? https : http;
    return new Promise<Response>((resolve, reject) => {
      const request = client.request(target, { method: 'GET', headers: Object.fromEntries(options.headers), lookup, signal: options.signal }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_JWKS_BYTES) request.destroy(new Error('JWKS response too large'));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          const status = response.statusCode ?? 502;
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, headers: { 'content-type': String(response.headers['content-type'] ?? '') } }));
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end();
    });
  };
}
