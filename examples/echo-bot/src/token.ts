/**
 * Mints Parley tokens on the bot's side with the app's key (HS256, `kid` = key id): a user
 * token for the bot, a server token to create the bot's user. The secret never leaves this
 * process. Node's crypto only, no JWT library.
 */
import { createHmac } from 'node:crypto';

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * A signed token: `userId` for a user token, `server: true` for a server token.
 *
 * @example
 * const token = mintToken({ keyId, secret, userId: 'echo-bot', expiresIn: 3600 });
 */
export function mintToken(options: { keyId: string; secret: string; userId?: string; server?: boolean; expiresIn?: number }): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: options.keyId }));
  const claims: Record<string, unknown> = { iat: now };
  if (options.userId) claims.sub = options.userId;
  if (options.server) claims.server = true;
  if (options.expiresIn) claims.exp = now + options.expiresIn;
  const payload = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', options.secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
