/**
 * Request validation. Bodies are checked strictly (no type coercion, unknown fields rejected,
 * nothing silently removed); query strings and path params are coerced from strings.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { validationError, type ApiError } from '../errors.js';

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  (addFormats as unknown as (ajv: Ajv) => void)(ajv);
  return ajv;
}

const strictAjv = makeAjv(false);
const coercingAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strictAjv : coercingAjv;
  return ajv.compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
};

/** `/users/0/name` → `users[0].name` */
function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  return parts.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

/** Turns the first Ajv error into a VALIDATION_ERROR that names the field. */
export function ajvErrorToApiError(errors: ErrorObject[], context: string | undefined): ApiError {
  const first = errors[0];
  const prefix = context === 'querystring' ? 'query' : context === 'params' ? 'path' : context === 'headers' ? 'header' : 'body';
  if (!first) return validationError(prefix, 'is invalid');
  if (first.keyword === 'additionalProperties') {
    const field = fieldPath(first.instancePath, String(first.params.additionalProperty));
    return validationError(field, 'is not an allowed field');
  }
  if (first.keyword === 'required') {
    return validationError(fieldPath(first.instancePath, String(first.params.missingProperty)), 'is required');
  }
  const field = fieldPath(first.instancePath) || prefix;
  return validationError(field, first.message ?? 'is invalid');
}
