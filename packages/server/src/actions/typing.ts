import type { TypingBody } from '@parley/protocol';
import { userRef } from '../events/event-log.js';
import { permissionDenied, validationError } from '../errors.js';
import type { AppAuth } from '../http/guards.js';
import type { TypingTarget } from '../realtime/typing.js';
import type { Services } from '../services.js';
import { accessChannel, requirePermission, writerId, type ChannelContext } from './access.js';

/** `parent_id` must name a message of the channel (one still visible: not truncated away). */
async function requireChannelMessage(services: Services, context: ChannelContext, messageId: string): Promise<void> {
  const result = await services.pool.query({
    name: 'typing-parent',
    text: 'select 1 from messages where app_id = $1 and id = $2 and type = $3 and channel_id = $4 and seq > $5',
    values: [context.appId, messageId, context.channel.type, context.channel.id, context.channel.truncated_seq],
  });
  if (result.rowCount === 0) throw validationError('parent_id', 'names no message of this channel');
}

/**
 * Typing is ephemeral: published to watchers, never stored, no seq. The node's typing state
 * (realtime/typing.ts) throttles starts and publishes the stop of a start that is never stopped.
 * Watchers are counted as the channel's members (`member_count`, already loaded): above the type's
 * `typing_watcher_threshold` starts are not published (see docs/subsystems/realtime.md "Typing").
 */
export async function doTyping(services: Services, auth: AppAuth, type: string, id: string, body: TypingBody) {
  const context = await accessChannel(services, services.pool, auth, type, id);
  writerId(context);
  requirePermission(context, 'typing');
  if (!context.channelType.config.typing_events) throw permissionDenied('typing events are disabled for this channel type');
  const parentId = body.parent_id ?? null;
  if (parentId) await requireChannelMessage(services, context, parentId);
  // A shadow-banned user's typing would announce messages nobody will see.
  const announce = context.channel.member_count <= context.channelType.config.typing_watcher_threshold && context.ban !== 'shadow';
  const target: TypingTarget = { appId: auth.appId, type, channelId: id, user: userRef(auth.user!)!, parentId };
  if (body.state === 'start') {
    if (announce) services.typing.start(target);
  } else {
    services.typing.stop(target, announce);
  }
  return { ok: true as const };
}
