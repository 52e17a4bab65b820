/**
 * HS256 JWT verification with Node's own HMAC: the hot path of every request. jose's jwtVerify
 * goes through WebCrypto (key import per call, HMAC on a worker thread) and cost ~60 µs of CPU
 * per request against ~3 µs here (bench/micro/jwt-verify.mjs). The checks are the same: exactly
 * `alg: HS256` from a fixed expectation (never trusted from the token), no `crit`, a 32-byte
 * signature compared in constant time, then `exp` / `nbf` with the given tolerance.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';

export type Hs256Result = { ok: true; payload: JWTPayload } | { ok: false; expired: boolean };

const B64URL = /^[A-Za-z0-9_-]+$/;
const INVALID: Hs256Result = { ok: false, expired: false };

function json(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function verifyHs256(token: string, secret: Uint8Array, toleranceSeconds: number, nowSeconds = Date.now() / 1000): Hs256Result {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return INVALID;
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = json(encodedHeader);
  if (!header || header.alg !== 'HS256' || header.crit !== undefined || header.b64 === false) return INVALID;
  const signature = Buffer.from(encodedSignature, 'base64url');
  if (signature.length !== 32 || signature.toString('base64url') !== encodedSignature) return INVALID;
  const expected = createHmac('sha256', secret).update(`${encodedHeader}.${encodedPayload}`).digest();
  if (!timingSafeEqual(signature, expected)) return INVALID;
  const payload = json(encodedPayload);
  if (!payload) return INVALID;
  const { exp, nbf } = payload;
  if (exp !== undefined && typeof exp !== 'number') return INVALID;
  if (nbf !== undefined && typeof nbf !== 'number') return INVALID;
  if (typeof nbf === 'number' && nbf > nowSeconds + toleranceSeconds) return INVALID;
  if (typeof exp === 'number' && exp <= nowSeconds - toleranceSeconds) return { ok: false, expired: true };
  return { ok: true, payload: payload as JWTPayload };
}
