/** HS256 tokens signed with an app key, as an integrator's backend mints them. */
import { SignJWT } from 'jose';

async function sign(claims, keyId, secret) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', kid: keyId, typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}

export const serverToken = (keyId, secret) => sign({ server: true }, keyId, secret);
export const userToken = (keyId, secret, userId) => sign({ sub: userId }, keyId, secret);
