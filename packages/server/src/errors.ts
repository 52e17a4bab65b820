import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@parley/protocol';

/** An error that reaches the client as `{error: {code, message, details, retry_after}}`. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details) error.details = this.details;
    if (this.retryAfter !== undefined) error.retry_after = this.retryAfter;
    return { error };
  }
}

/** Missing and forbidden look the same: no existence oracle. */
export function notFound(what = 'object'): ApiError {
  return new ApiError('NOT_FOUND', `${what} not found`);
}

export function validationError(field: string, message: string): ApiError {
  return new ApiError('VALIDATION_ERROR', `${field}: ${message}`, { field });
}

export function unauthorized(message = 'missing or invalid credentials'): ApiError {
  return new ApiError('UNAUTHORIZED', message);
}

export function permissionDenied(message = 'not allowed'): ApiError {
  return new ApiError('PERMISSION_DENIED', message);
}
