/** An app with its limits out of the way, for scenarios that write or read at high rates. */
import { createApp, patchApp } from './api.mjs';
import { serverToken } from './tokens.mjs';

/**
 * The highest limits the API accepts (AppLimits in packages/protocol/src/schemas/apps.ts caps the
 * per-user ones at 1,000,000 and the per-app one at 10,000,000): no bench run comes near them.
 */
export const UNTHROTTLED = {
  settings: { limits: { messages_per_minute_per_user: 1_000_000, requests_per_second_per_user: 1_000_000, requests_per_second_per_app: 10_000_000 } },
};

/** POST /v1/apps then PATCH /v1/app with UNTHROTTLED. Resolves to { appId, keyId, secret, serverToken }. */
export async function unthrottledApp(parley, name) {
  const created = await createApp(parley.url, parley.adminToken, name);
  const token = await serverToken(created.key_id, created.secret);
  await patchApp(parley.url, token, UNTHROTTLED);
  return { appId: created.app.id, keyId: created.key_id, secret: created.secret, serverToken: token };
}
