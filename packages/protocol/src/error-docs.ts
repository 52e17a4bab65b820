import { ERROR_CODES, ERROR_DESCRIPTIONS, ERROR_STATUS } from './errors.js';

/** The registry as a Markdown table (used by docs/error-codes.md and the OpenAPI description). */
export function errorCodesTable(): string {
  const rows = ERROR_CODES.map((code) => `| ${ERROR_STATUS[code]} | \`${code}\` | ${ERROR_DESCRIPTIONS[code]} |`);
  return ['| HTTP | code | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** docs/error-codes.md, generated from the registry (`npm run docs:errors`). */
export function renderErrorCodesMarkdown(): string {
  return [
    '# Error codes',
    '',
    '<!-- generated from packages/protocol/src/errors.ts by `npm run docs:errors`; do not edit -->',
    '',
    'Every error, REST or WebSocket, has one shape:',
    '',
    '```json',
    '{"error": {"code": "EDIT_WINDOW_EXPIRED", "message": "human text", "details": {}, "retry_after": 12}}',
    '```',
    '',
    '`details.field` names the offending field of a `VALIDATION_ERROR`; `retry_after` (seconds, also',
    'sent as the `Retry-After` header) comes with `RATE_LIMITED` and `SLOW_MODE`. Codes are stable:',
    'new ones are added, none is renamed.',
    '',
    errorCodesTable(),
    '',
  ].join('\n');
}
