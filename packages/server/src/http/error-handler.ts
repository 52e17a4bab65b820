import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import { ajvErrorToApiError } from './validation.js';

/** Maps every failure to the one error body of API.md; nothing leaks as a bare 500 page. */
export function toApiError(error: FastifyError | ApiError | Error): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return ajvErrorToApiError(fastifyError.validation as never, fastifyError.validationContext);
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('PAYLOAD_TOO_LARGE', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('VALIDATION_ERROR', 'request body is not valid JSON', { field: 'body' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('VALIDATION_ERROR', 'request body must be application/json', { field: 'content-type' });
  }
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    return new ApiError('VALIDATION_ERROR', 'malformed request', { field: 'body' });
  }
  if (fastifyError.statusCode === 413) return new ApiError('PAYLOAD_TOO_LARGE', 'request body is too large');
  return new ApiError('INTERNAL_ERROR', 'internal error');
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.code === 'INTERNAL_ERROR') request.log.error({ err: error }, 'unhandled error');
    else request.log.info({ code: apiError.code, message: apiError.message }, 'request failed');
    if (apiError.retryAfter !== undefined) reply.header('retry-after', String(apiError.retryAfter));
    return reply.status(apiError.status).send(apiError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.status(404).send(error.toBody());
  });
}
