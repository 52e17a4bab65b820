/**
 * External identity providers (Supabase Auth, Auth0, Firebase, ...): tokens signed with RS256 or
 * ES256 by a key published at the provider's JWKS URL, with the app named by `X-Api-Key`.
 */
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, errors, type JWTPayload } from 'jose';
import type { AuthProvider } from '@parley/protocol';
import { guardedJwksFetch, type JwksFetchPolicy } from './jwks-fetch.js';

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/** `unavailable`: no provider could judge the token (key set unreachable, refused by policy, broken). */
export type JwksResult = { ok: true; userId: string; payload: JWTPayload } | { ok: false; expired: boolean; unavailable: boolean };

/** Errors about the key set itself, not the token: the provider is down, slow, refused or broken. */
function isOutage(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true; // network errors, policy refusals
  return error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC';
}

/** One remote key set per URL, shared by every app using it; jose refetches on unknown `kid`. */
export class JwksVerifier {
  private readonly sets = new Map<string, RemoteKeySet>();
  private readonly fetch: ReturnType<typeof guardedJwksFetch>;

  constructor(policy: JwksFetchPolicy = { allowPrivate: true, allowedHosts: null }) {
    this.fetch = guardedJwksFetch(policy);
  }

  private keySet(url: string): RemoteKeySet {
    let set = this.sets.get(url);
    if (!set) {
      set = createRemoteJWKSet(new URL(url), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, [customFetch]: this.fetch });
      this.sets.set(url, set);
    }
    return set;
  }

  /**
   * Tries each provider of the app that names the token's issuer, in turn; the first that
   * verifies wins. The unverified `iss` only narrows the candidates (jwtVerify checks it again),
   * so a token of one provider never makes us fetch another provider's key set.
   */
  async verify(token: string, providers: AuthProvider[]): Promise<JwksResult> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return { ok: false, expired: false, unavailable: false };
    }
    let expired = false;
    let unavailable = false;
    for (const provider of providers.filter((p) => p.issuer === issuer)) {
      try {
        const { payload } = await jwtVerify(token, this.keySet(provider.jwks_url), {
          algorithms: ['RS256', 'ES256'],
          issuer: provider.issuer,
          audience: provider.audience,
          clockTolerance: 60,
        });
        const userId = payload[provider.user_id_claim ?? 'sub'];
        if (typeof userId !== 'string' || userId.length === 0 || userId.length > 128) continue;
        return { ok: true, userId, payload };
      } catch (error) {
        if (error instanceof errors.JWTExpired) expired = true;
        else if (isOutage(error)) unavailable = true;
      }
    }
    return { ok: false, expired, unavailable: unavailable && !expired };
  }
}
