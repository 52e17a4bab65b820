import type { SetPresenceBody } from '@parley/protocol';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';

/** `PATCH /v1/me/presence` and the `set_status` rpc: the status the user shows (see docs/subsystems/presence.md). */
export async function doSetPresence(services: Services, auth: AppAuth, body: SetPresenceBody) {
  return { presence: await services.userPresence.setStatus(auth.appId, auth.user!.id, body.status) };
}
