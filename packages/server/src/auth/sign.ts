import { SignJWT } from 'jose';

export interface MintOptions {
  keyId: string;
  secret: string;
  userId?: string;
  server?: boolean;
  /** Seconds until expiry; omitted → no `exp`. */
  expiresIn?: number;
}

/** Mints an HS256 token the way an integrator's backend would. */
export async function mintToken(options: MintOptions): Promise<{ token: string; expiresAt: Date | null }> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {};
  if (options.server) claims.server = true;
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: options.keyId, typ: 'JWT' }).setIssuedAt(now);
  if (options.userId) jwt = jwt.setSubject(options.userId);
  let expiresAt: Date | null = null;
  if (options.expiresIn) {
    jwt = jwt.setExpirationTime(now + options.expiresIn);
    expiresAt = new Date((now + options.expiresIn) * 1000);
  }
  const token = await jwt.sign(new TextEncoder().encode(options.secret));
  return { token, expiresAt };
}
