/** Client-side ids: random, collision-free enough to be idempotency keys. */

/**
 * A new `client_msg_id`: a UUID v4 from `crypto.randomUUID` where available (browsers, Node,
 * Hermes with a polyfill), otherwise from `crypto.getRandomValues`, otherwise `Math.random`.
 *
 * @example
 * const id = newClientMsgId(); // 'c-3b1f…'
 */
export function newClientMsgId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.randomUUID) return `c-${c.randomUUID()}`;
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return `c-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The `sub` claim of a JWT, read without verifying it (the server verifies; the SDK only needs
 * to know whose storage to open). Undefined when the token is not a JWT.
 *
 * @example
 * jwtSubject(token); // 'alice'
 */
export function jwtSubject(token: string): string | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const json = decodeURIComponent(
      Array.from(atob(base64), (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
    );
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}
