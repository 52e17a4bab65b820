/**
 * The error registry: every stable error code of the public API with its HTTP status.
 * Codes are never renamed; new ones are only added. See docs/error-codes.md.
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  EMPTY_MESSAGE: 400,
  MESSAGE_TOO_LONG: 400,
  TOO_MANY_ATTACHMENTS: 400,
  INVALID_FILE_TYPE: 400,
  FILE_TOO_LARGE: 400,
  TOO_MANY_MEMBERS: 400,
  TOO_FEW_MEMBERS: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  PERMISSION_DENIED: 403,
  EDIT_WINDOW_EXPIRED: 403,
  CHANNEL_FROZEN: 403,
  USER_BANNED: 403,
  USER_BLOCKED: 403,
  MUTE_OVERRIDE_REQUIRED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  RESYNC_REQUIRED: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SLOW_MODE: 429,
  INTERNAL_ERROR: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** Human description of each code, used by the generated docs. */
export const ERROR_DESCRIPTIONS: Record<ErrorCode, string> = {
  VALIDATION_ERROR: 'The request is malformed: a field is missing, has the wrong type, or is not allowed. `details.field` names it.',
  EMPTY_MESSAGE: 'A message needs text or at least one attachment.',
  MESSAGE_TOO_LONG: "The text is longer than the channel type's `max_message_length`.",
  TOO_MANY_ATTACHMENTS: 'A message carries more than 10 attachments.',
  INVALID_FILE_TYPE: 'The file type is not allowed for this channel type.',
  FILE_TOO_LARGE: "The file is larger than the app's `limits.max_upload_bytes`.",
  TOO_MANY_MEMBERS: "The channel would exceed its type's `max_members`.",
  TOO_FEW_MEMBERS: "The channel would fall below its type's `min_members`.",
  UNAUTHORIZED: 'No valid credentials: missing, malformed, forged or revoked token, or a deactivated user.',
  TOKEN_EXPIRED: 'The token was valid but has expired; fetch a new one and retry.',
  PERMISSION_DENIED: 'The caller can see the object but may not perform this action on it.',
  EDIT_WINDOW_EXPIRED: "The message is older than the channel type's `edit_window_seconds`.",
  CHANNEL_FROZEN: 'The channel is frozen: nobody but moderators can write.',
  USER_BANNED: 'The caller is banned from this channel or app.',
  USER_BLOCKED: 'One of the two users has blocked the other.',
  MUTE_OVERRIDE_REQUIRED: 'The recipient muted this channel; only a priority alert with the right permission passes.',
  NOT_FOUND: 'The object does not exist, or the caller may not see it (the two are indistinguishable on purpose).',
  CONFLICT: 'The request conflicts with the current state.',
  IDEMPOTENCY_KEY_REUSED: 'The idempotency key was already used for a different request body.',
  RESYNC_REQUIRED: 'The sync cursor is older than the retained event window; reload state.',
  PAYLOAD_TOO_LARGE: 'The request body is larger than allowed.',
  RATE_LIMITED: 'Too many requests; wait `retry_after` seconds.',
  SLOW_MODE: 'The channel is in slow mode; wait `retry_after` seconds.',
  INTERNAL_ERROR: 'An unexpected server error. It is logged with the request id.',
  UNAVAILABLE: 'The server or one of its dependencies is temporarily unavailable.',
};

/** The one error body shape used by REST and the WebSocket gateway. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    details?: Record<string, unknown>;
    retry_after?: number;
  };
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}
