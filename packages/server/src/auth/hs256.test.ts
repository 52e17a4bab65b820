import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyHs256 } from './hs256.js';

const secret = new TextEncoder().encode('s3cret-s3cret-s3cret-s3cret-s3cret');
const other = new TextEncoder().encode('another-secret-another-secret-xx');
const now = 1_800_000_000;

/** Signs any header, even ones jose refuses to produce (crit). */
function rawSign(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, key = secret) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k', ...header } as never).sign(key);

describe('verifyHs256', () => {
  it('accepts a token signed with the secret and returns its claims', async () => {
    const result = verifyHs256(await sign({ sub: 'alice', iat: now, exp: now + 60 }), secret, 60, now);
    expect(result).toEqual({ ok: true, payload: { sub: 'alice', iat: now, exp: now + 60 } });
  });

  it('refuses another secret, a changed payload, a cut signature, alg none and crit headers', async () => {
    const good = await sign({ sub: 'alice' });
    const [h, p, s] = good.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'mallory' })).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
    for (const token of [await sign({ sub: 'alice' }, {}, other), `${h}.${forgedPayload}.${s}`, `${h}.${p}.${s!.slice(0, -2)}`, none, `${h}.${p}`, rawSign({ alg: 'HS256', crit: ['x'], x: 1 }, { sub: 'a' })]) {
      expect(verifyHs256(token, secret, 60, now)).toEqual({ ok: false, expired: false });
    }
  });

  it('accepts what it signs raw, so the refusals above are about the token, not the helper', () => {
    expect(verifyHs256(rawSign({ alg: 'HS256' }, { sub: 'a' }), secret, 60, now).ok).toBe(true);
  });

  it('tells expired apart from invalid, with the tolerance on both exp and nbf', async () => {
    expect(verifyHs256(await sign({ exp: now - 61 }), secret, 60, now)).toEqual({ ok: false, expired: true });
    expect(verifyHs256(await sign({ exp: now - 30 }), secret, 60, now).ok).toBe(true);
    expect(verifyHs256(await sign({ nbf: now + 61 }), secret, 60, now)).toEqual({ ok: false, expired: false });
    expect(verifyHs256(await sign({ nbf: now + 30 }), secret, 60, now).ok).toBe(true);
    expect(verifyHs256(await sign({ exp: 'soon' }), secret, 60, now).ok).toBe(false);
  });
});
