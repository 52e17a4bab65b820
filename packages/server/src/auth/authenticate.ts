/**
 * Turns the request's credentials into an AuthContext, or an ApiError (401). Runs before any
 * handler; nothing a handler sees comes from an unverified token. See docs/subsystems/auth.md.
 */
import { timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, type JWTPayload } from 'jose';
import type pg from 'pg';
import { Id } from '@parley/protocol';
import { ApiError, unauthorized } from '../errors.js';
import { ensureUser, findUser, wasHardDeleted, type UserRow } from '../db/users.js';
import { TtlCache } from '../util/ttl-cache.js';
import type { AppStore } from './app-store.js';
import type { JwksVerifier } from './jwks.js';
import type { KeyStore } from './key-store.js';
import { verifyHs256 } from './hs256.js';

export type AuthContext =
  | { kind: 'operator' }
  /** A server token; `user` is set when it acts as a user through `X-Parley-User`. */
  | { kind: 'server'; appId: string; keyId: string; user: UserRow | null }
  | { kind: 'user'; appId: string; keyId: string; user: UserRow };

export interface Credentials {
  authorization?: string | undefined;
  apiKey?: string | undefined;
  actAs?: string | undefined;
}

const SKEW_SECONDS = 60;

/** User ids must be ones the API can address (`/v1/users/{id}`), the same rule as `Id` everywhere else. */
const USER_ID = new RegExp(Id.pattern!);
function isUserId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 128 && USER_ID.test(value);
}

export class Authenticator {
  /** Users behind tokens, so an authenticated request costs no query; deactivation forgets the entry. */
  readonly users = new TtlCache<UserRow>(2_000);
  /** Bumped by every `forgetUser`, so a lookup in flight during a deactivation does not re-cache the active row. */
  private usersGeneration = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly keys: KeyStore,
    private readonly apps: AppStore,
    private readonly jwks: JwksVerifier,
    private readonly adminToken: string | null,
  ) {}

  /** `null` for an anonymous request (no credentials); throws for bad credentials. */
  async authenticate(credentials: Credentials): Promise<AuthContext | null> {
    const header = credentials.authorization;
    if (!header) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthorized('Authorization must be "Bearer <token>"');
    const token = match[1]!;
    if (this.isAdminToken(token)) return { kind: 'operator' };

    // The header is untrusted JSON: its members may be of any type.
    let alg: unknown;
    let kid: unknown;
    try {
      ({ alg, kid } = decodeProtectedHeader(token) as Record<string, unknown>);
    } catch {
      throw unauthorized('malformed token');
    }
    if (alg === 'HS256') return this.fromAppKey(token, kid, credentials.actAs);
    if ((alg === 'RS256' || alg === 'ES256') && credentials.apiKey) return this.fromIdentityProvider(token, credentials.apiKey);
    throw unauthorized('unsupported token algorithm');
  }

  private isAdminToken(token: string): boolean {
    if (!this.adminToken) return false;
    const a = Buffer.from(token);
    const b = Buffer.from(this.adminToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async fromAppKey(token: string, kid: unknown, actAs: string | undefined): Promise<AuthContext> {
    if (typeof kid !== 'string' || kid.length === 0) throw unauthorized('token has no kid');
    const key = await this.keys.get(kid);
    if (!key) throw unauthorized('unknown key');
    const verified = verifyHs256(token, key.secret, SKEW_SECONDS);
    if (!verified.ok) throw verified.expired ? new ApiError('TOKEN_EXPIRED', 'token expired') : unauthorized('invalid token');
    const payload = verified.payload;
    checkIssuedAt(payload);
    if (payload.server === true) {
      const user = actAs ? await this.activeUser(key.appId, actAs, false) : null;
      return { kind: 'server', appId: key.appId, keyId: key.keyId, user };
    }
    if (!isUserId(payload.sub)) throw unauthorized('token has no valid sub');
    return { kind: 'user', appId: key.appId, keyId: key.keyId, user: await this.activeUser(key.appId, payload.sub, true) };
  }

  private async fromIdentityProvider(token: string, apiKey: string): Promise<AuthContext> {
    const key = await this.keys.get(apiKey);
    if (!key) throw unauthorized('unknown api key');
    const app = await this.apps.get(key.appId);
    const providers = app?.settings.auth_providers ?? [];
    if (providers.length === 0) throw unauthorized('this app accepts no external identity provider');
    const result = await this.jwks.verify(token, providers);
    if (!result.ok) {
      if (result.expired) throw new ApiError('TOKEN_EXPIRED', 'token expired');
      // The provider's keys could not be had: not the caller's fault, and worth a retry.
      if (result.unavailable) throw new ApiError('UNAVAILABLE', 'the identity provider could not be reached', undefined, 30);
      throw unauthorized('invalid token');
    }
    checkIssuedAt(result.payload);
    return { kind: 'user', appId: key.appId, keyId: key.keyId, user: await this.activeUser(key.appId, result.userId, true) };
  }

  /**
   * The user a token speaks for. A valid app-signed token for an unknown user creates it (the
   * integrator's signature vouches for the id); deactivated and deleted users are refused.
   */
  private async activeUser(appId: string, userId: string, create: boolean): Promise<UserRow> {
    const cacheKey = `${appId}\u0000${userId}`;
    let user = this.users.get(cacheKey);
    if (!user) {
      if (!isUserId(userId)) throw unauthorized('not a valid user id');
      const generation = this.usersGeneration;
      if (create && (await wasHardDeleted(this.pool, appId, userId))) throw unauthorized('user was deleted');
      user = create ? await ensureUser(this.pool, appId, userId) : undefined;
      // ensureUser finds no row when a concurrent first request inserted the same user after its
      // snapshot (ON CONFLICT DO NOTHING, then a select that cannot see that insert): read it again.
      user ??= await findUser(this.pool, appId, userId);
      if (!user) throw unauthorized(create ? 'user not found' : 'X-Parley-User names no user');
      if (generation === this.usersGeneration) this.users.set(cacheKey, user);
    }
    if (user.deactivated_at || user.deleted_at) throw unauthorized('user is deactivated');
    return user;
  }

  forgetUser(appId: string, userId: string): void {
    this.usersGeneration++;
    this.users.delete(`${appId}\u0000${userId}`);
  }
}

function checkIssuedAt(payload: JWTPayload): void {
  if (payload.iat !== undefined) {
    if (typeof payload.iat !== 'number') throw unauthorized('invalid iat');
    if (payload.iat > Date.now() / 1000 + SKEW_SECONDS) throw unauthorized('token issued in the future');
  }
}
