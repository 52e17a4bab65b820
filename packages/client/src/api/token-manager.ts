/**
 * The user token: fetched from the app's `tokenProvider` at connect, refreshed when the server
 * says it expired, and given up on for good when the provider (or the server, after a fresh
 * token) refuses it. Concurrent refreshes share one provider call.
 */
import { ParleyError } from '../errors.js';
import { backoffDelay, sleep } from '../util/backoff.js';
import { jwtSubject } from '../util/ids.js';

/**
 * Returns a user token (JWT) for the signed-in user, usually by asking the app's backend.
 * Return `null`/empty or throw a `ParleyError` with code `UNAUTHORIZED` when the user is signed
 * out for good; any other throw is treated as a transient failure and retried later.
 *
 * @example
 * const tokenProvider: TokenProvider = async () => (await fetch('/api/chat-token')).text();
 */
export type TokenProvider = () => string | null | undefined | Promise<string | null | undefined>;

/**
 * Caches the current token and serialises refreshes.
 *
 * @example
 * const tokens = new TokenManager(async () => 'eyJ…', (error) => console.warn(error));
 * const token = await tokens.current();
 */
export class TokenManager {
  private token: string | undefined;
  private pending: Promise<string> | undefined;
  private failure: ParleyError | undefined;

  constructor(
    private readonly provider: TokenProvider,
    private readonly onPermanentFailure: (error: ParleyError) => void,
  ) {}

  /** The permanent failure, once there is one. */
  get failed(): ParleyError | undefined {
    return this.failure;
  }

  /** The cached token, or a new one from the provider. */
  current(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.token) return Promise.resolve(this.token);
    return this.fetch();
  }

  /**
   * A new token, unless `stale` is no longer the current one (another caller already refreshed).
   * Pass the token that was refused.
   */
  refresh(stale?: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.token && stale !== undefined && this.token !== stale) return Promise.resolve(this.token);
    this.token = undefined;
    return this.fetch();
  }

  /** Marks the session as permanently unauthorized; every later call rejects at once. */
  fail(reason: string, details: Record<string, unknown> = {}): ParleyError {
    if (!this.failure) {
      this.failure = new ParleyError({ code: 'UNAUTHORIZED', status: 401, message: reason, details });
      this.token = undefined;
      this.onPermanentFailure(this.failure);
    }
    return this.failure;
  }

  /** Forgets a permanent failure (after the app signed the user in again). */
  reset(): void {
    this.failure = undefined;
    this.token = undefined;
  }

  private fetch(): Promise<string> {
    this.pending ??= (async () => {
      try {
        let value: string | null | undefined;
        try {
          value = await this.provider();
        } catch (error) {
          if (error instanceof ParleyError && error.code === 'UNAUTHORIZED') throw this.fail(error.message, error.details);
          throw new ParleyError({ code: 'NETWORK_ERROR', message: `token provider failed: ${(error as Error)?.message ?? error}`, cause: error });
        }
        if (!value) throw this.fail('the token provider returned no token');
        this.token = value;
        return value;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}

/**
 * The user id (`sub`) of the provider's token, asking again with backoff while the provider fails
 * transiently; undefined after a permanent failure or once `stopped()`.
 *
 * @example
 * const userId = await userOfToken(tokens, () => closed, () => setConnection('offline'));
 */
export async function userOfToken(tokens: TokenManager, stopped: () => boolean, onRetry: () => void): Promise<string | undefined> {
  while (!stopped()) {
    try {
      const userId = jwtSubject(await tokens.current());
      if (!userId) throw tokens.fail('the token has no `sub` claim: pass options.userId');
      return userId;
    } catch {
      if (tokens.failed) return undefined;
      onRetry();
      await sleep(backoffDelay(0, 1_000, 5_000));
    }
  }
  return undefined;
}
