import type { TypingBody } from '@parley/protocol';
import { EventBatch, now, userRef } from '../events/event-log.js';
import { permissionDenied } from '../errors.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { accessChannel, requirePermission, writerId } from './access.js';

/** Typing is ephemeral: published to watchers, never stored, no seq. */
export async function doTyping(services: Services, auth: AppAuth, type: string, id: string, body: TypingBody) {
  const context = await accessChannel(services, services.pool, auth, type, id);
  writerId(context);
  requirePermission(context, 'typing');
  if (!context.channelType.config.typing_events) throw permissionDenied('typing events are disabled for this channel type');
  const events = new EventBatch(auth.appId);
  if (context.channel.member_count <= context.channelType.config.typing_watcher_threshold) {
    events.ephemeral(type, id, { type: body.state === 'start' ? 'typing.start' : 'typing.stop', created_at: now(), user: userRef(auth.user!), parent_id: body.parent_id ?? null });
    await events.publish(services.broker);
  }
  return { ok: true as const };
}
