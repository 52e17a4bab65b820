/**
 * node bench/micro/jwt-verify.mjs [seconds]
 * In-process cost of verifying one HS256 user token, 50 verifications in flight: jose's
 * jwtVerify with the raw secret (what the server does), with a CryptoKey imported once, and a
 * plain node:crypto HMAC. Prints one JSON line: ops/s and CPU µs per verify (process, all
 * threads: WebCrypto runs its work on the libuv thread pool).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import os from 'node:os';
import { SignJWT, jwtVerify } from 'jose';

const seconds = Number(process.argv[2] ?? 3);
const secret = new TextEncoder().encode('bench-secret-0123456789abcdef0123456789abcdef');
const token = await new SignJWT({ sub: 'bench-user' }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuedAt().setExpirationTime('1h').sign(secret);
const cryptoKey = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);

function hmacVerify() {
  const dot = token.lastIndexOf('.');
  const mac = createHmac('sha256', secret).update(token.slice(0, dot)).digest();
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  return signature.length === mac.length && timingSafeEqual(signature, mac);
}

async function measure(verify) {
  const until = Date.now() + seconds * 1000;
  let count = 0;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (Date.now() < until) {
        await verify();
        count++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    ops_per_s: Math.round(count / seconds),
    cpu_us: Number(((used.user + used.system) / count).toFixed(1)),
  };
}

const options = { algorithms: ['HS256'] };
const result = { micro: 'jwt-verify', seconds };
for (const [name, verify] of [
  ['jose_raw_secret', () => jwtVerify(token, secret, options)],
  ['jose_cached_cryptokey', () => jwtVerify(token, cryptoKey, options)],
  ['node_crypto_hmac', async () => hmacVerify()],
]) {
  await measure(verify); // warm-up
  result[name] = await measure(verify);
}
console.log(JSON.stringify({ ...result, node: process.version, cpus: os.cpus().length, loadavg_1m: Number(os.loadavg()[0].toFixed(2)) }));
