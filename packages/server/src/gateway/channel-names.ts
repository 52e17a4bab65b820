/**
 * Gateway channel names: `chat:<type>:<id>` watches a channel (clients subscribe), `user#<id>` is
 * a connection's personal channel (server-side subscription only).
 */
import { Id } from '@parley/protocol';

const TYPE = /^[a-z][a-z0-9_-]{0,63}$/;
const ID = new RegExp(Id.pattern!);

export interface ChatChannel {
  type: string;
  id: string;
}

/** `chat:<type>:<id>` → its type and id; null for any other name. */
export function parseChatChannel(name: string): ChatChannel | null {
  if (!name.startsWith('chat:')) return null;
  const rest = name.slice(5);
  const colon = rest.indexOf(':');
  if (colon < 0) return null;
  const type = rest.slice(0, colon);
  const id = rest.slice(colon + 1);
  if (!TYPE.test(type) || id.length > 128 || !ID.test(id)) return null;
  return { type, id };
}

export function isPersonalChannel(name: string): boolean {
  return name.startsWith('user#');
}

/** `type:id` → `{type, id}`; null when malformed. */
export function parseCid(cid: string): ChatChannel | null {
  return parseChatChannel(`chat:${cid}`);
}
