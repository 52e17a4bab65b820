/**
 * The one error type the SDK throws. REST and realtime errors keep the server's stable `code`
 * (see docs/error-codes.md); transport failures use `NETWORK_ERROR`, a refused token
 * `UNAUTHORIZED`.
 */
import type { ErrorCode } from '@parley/protocol';

/**
 * Codes the SDK adds to the server's registry: the request never reached the server, or was aborted.
 *
 * @example
 * if (error.code === ('NETWORK_ERROR' satisfies ClientErrorCode)) showOffline();
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'ABORTED' | 'CLIENT_CLOSED';

/**
 * Constructor input of {@link ParleyError}.
 *
 * @example
 * throw new ParleyError({ code: 'UNAUTHORIZED', status: 401, message: 'signed out' });
 */
export interface ParleyErrorInit {
  code: ErrorCode | ClientErrorCode | (string & {});
  message?: string;
  status?: number;
  details?: Record<string, unknown>;
  retryAfter?: number;
  cause?: unknown;
}

/**
 * An API error: `code` from the registry, the HTTP `status` (0 for network errors), `details`
 * (e.g. `{field}` for `VALIDATION_ERROR`) and `retryAfter` in seconds for 429s.
 *
 * @example
 * try {
 *   await client.messages.update(id, { text: 'fixed' });
 * } catch (error) {
 *   if (error instanceof ParleyError && error.code === 'EDIT_WINDOW_EXPIRED') showToast('Too late to edit');
 *   else throw error;
 * }
 */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  readonly code: ParleyErrorInit['code'];
  readonly status: number;
  readonly details: Record<string, unknown>;
  readonly retryAfter: number | undefined;

  constructor(init: ParleyErrorInit) {
    super(init.message ?? init.code, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status ?? 0;
    this.details = init.details ?? {};
    this.retryAfter = init.retryAfter;
  }

  /**
   * True when the same request may succeed later unchanged: network errors, 429 and 5xx.
   *
   * @example
   * if (error instanceof ParleyError && error.transient) scheduleRetry(error.retryAfter ?? 1);
   */
  get transient(): boolean {
    return this.code === 'NETWORK_ERROR' || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/**
 * Narrows an unknown error to a {@link ParleyError}, optionally of one code.
 *
 * @example
 * if (isParleyError(error, 'NOT_FOUND')) return null;
 */
export function isParleyError(error: unknown, code?: ParleyErrorInit['code']): error is ParleyError {
  return error instanceof ParleyError && (code === undefined || error.code === code);
}
