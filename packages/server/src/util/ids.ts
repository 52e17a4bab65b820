import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random lowercase alphanumeric string (no `_`, so it can be a key-id prefix). */
export function randomId(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % ALPHABET.length];
  return out;
}

export const newAppId = () => randomId(12);
/** Key ids embed their app id: `<app_id>_<random>`. */
export const newKeyId = (appId: string) => `${appId}_${randomId(16)}`;
export const newSecret = () => randomBytes(32).toString('base64url');

export function appIdOfKey(keyId: string): string | null {
  const at = keyId.indexOf('_');
  return at > 0 ? keyId.slice(0, at) : null;
}
