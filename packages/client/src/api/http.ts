/**
 * REST over the global `fetch`: JSON in and out, `ParleyError` for every failure, one token
 * refresh and retry on a 401, permanent auth failure reported once.
 */
import type { ErrorBody } from '@parley/protocol';
import { ParleyError } from '../errors.js';
import type { TokenManager } from './token-manager.js';

/**
 * Query-string values; objects and arrays are sent as JSON.
 *
 * @example
 * const query: Record<string, QueryValue> = { limit: 50, filter: { role: 'coach' } };
 */
export type QueryValue = string | number | boolean | null | undefined | object;

/**
 * Options of one request.
 *
 * @example
 * await http.request('GET', '/v1/users', { query: { limit: 10 } });
 */
export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * How requests are sent; implemented by {@link HttpClient} (and by fakes in tests).
 *
 * @example
 * const fake: Transport = { request: async () => ({ messages: [] }) as never };
 */
export interface Transport {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
}

/**
 * Options of {@link HttpClient}.
 *
 * @example
 * const http = new HttpClient({ baseUrl: 'http://127.0.0.1:3000', tokens, timeoutMs: 5_000 });
 */
export interface HttpClientOptions {
  /** The server's base URL, e.g. `https://chat.example.com`. */
  baseUrl: string;
  tokens: TokenManager;
  /** A `fetch` implementation; default: the global one. */
  fetch?: typeof fetch;
  /** Sent as `X-Api-Key` (needed with external identity provider tokens). */
  apiKey?: string;
  /** Request timeout in ms (default 15,000). */
  timeoutMs?: number;
  /** Told whether each request reached the server (drives the offline state). */
  onReachability?: (reachable: boolean) => void;
}

/**
 * The REST transport used by every API group.
 *
 * @example
 * const http = new HttpClient({ baseUrl: 'http://localhost:3000', tokens });
 * const me = await http.request('GET', '/v1/me');
 */
export class HttpClient implements Transport {
  private readonly base: string;

  constructor(private readonly options: HttpClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    let token = await this.options.tokens.current();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(method, path, options, token);
      } catch (error) {
        if (!(error instanceof ParleyError) || error.status !== 401) throw error;
        if (attempt > 0) throw this.options.tokens.fail(`the server refused a fresh token: ${error.message}`, { code: error.code });
        token = await this.options.tokens.refresh(token);
      }
    }
  }

  private async once<T>(method: string, path: string, options: RequestOptions, token: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}`, ...options.headers };
    if (this.options.apiKey) headers['x-api-key'] = this.options.apiKey;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), this.options.timeoutMs ?? 15_000);
    const abort = () => controller.abort();
    options.signal?.addEventListener('abort', abort);
    let response: Response;
    try {
      const doFetch = this.options.fetch ?? globalThis.fetch;
      response = await doFetch(this.base + path + queryString(options.query), { method, headers, body, signal: controller.signal });
    } catch (error) {
      this.options.onReachability?.(false);
      if (options.signal?.aborted) throw new ParleyError({ code: 'ABORTED', message: 'request aborted', cause: error });
      throw new ParleyError({ code: 'NETWORK_ERROR', message: `${method} ${path}: ${(error as Error)?.message ?? 'network error'}`, cause: error });
    } finally {
      clearTimeout(timeout);
      options.signal?.removeEventListener('abort', abort);
    }
    this.options.onReachability?.(true);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed as T;
    throw errorFromResponse(response.status, parsed, response.headers.get('retry-after'));
  }
}

/**
 * Builds a `ParleyError` from an error response body (`{"error": {...}}`).
 *
 * @example
 * errorFromResponse(429, { error: { code: 'RATE_LIMITED', message: 'slow down', retry_after: 2 } }).retryAfter; // 2
 */
export function errorFromResponse(status: number, body: unknown, retryAfterHeader?: string | null): ParleyError {
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  const retryAfter = error?.retry_after ?? (retryAfterHeader ? Number(retryAfterHeader) : undefined);
  return new ParleyError({
    code: error?.code ?? (status >= 500 ? 'INTERNAL_ERROR' : 'UNKNOWN'),
    message: error?.message ?? `HTTP ${status}`,
    status,
    details: error?.details,
    retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
  });
}

function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    params.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * `type:id` → `/v1/channels/type/id` (each part URL-encoded).
 *
 * @example
 * channelPath('messaging:general'); // '/v1/channels/messaging/general'
 */
export function channelPath(cid: string): string {
  const index = cid.indexOf(':');
  if (index <= 0) throw new ParleyError({ code: 'VALIDATION_ERROR', status: 400, message: `not a cid (type:id): ${cid}`, details: { field: 'cid' } });
  return `/v1/channels/${encodeURIComponent(cid.slice(0, index))}/${encodeURIComponent(cid.slice(index + 1))}`;
}
