/** The few Parley API calls a scenario needs to set itself up. */

async function call(base, method, path, token, body) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** POST /v1/apps (operator token) → { app, key_id, secret }. */
export const createApp = (base, adminToken, name) => call(base, 'POST', '/v1/apps', adminToken, { name });

/** PATCH /v1/app (server token): limits merge into the app's settings. */
export const patchApp = (base, serverToken, body) => call(base, 'PATCH', '/v1/app', serverToken, body);

/** GET with a token; returns the parsed body (throws on non-2xx). */
export const get = (base, path, token) => call(base, 'GET', path, token);
