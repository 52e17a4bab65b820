/**
 * Response shapes of the REST API, built from the protocol package's types (one definition of
 * every object, shared with the server).
 */
import type { Channel, ChannelState, Member, Membership, Message, ReadState, Reaction, User, MeResponse } from '@parley/protocol';

export type { Channel, ChannelState, Member, Membership, Message, ReadState, Reaction, User, MeResponse };

/**
 * `GET …/messages`, `GET /v1/messages/{id}/replies`.
 *
 * @example
 * const page: MessagePage = await client.messages.list(cid, { before_seq: 100 });
 */
export interface MessagePage {
  messages: Message[];
  has_more_before: boolean;
  has_more_after: boolean;
}

/**
 * A cursor page: pass `next` back as `cursor`.
 *
 * @example
 * const { messages, next } = await client.me.mentions({ limit: 20, cursor: previous.next ?? undefined });
 */
export interface CursorPage {
  limit?: number;
  cursor?: string;
}

/**
 * `POST /v1/channels/query`.
 *
 * @example
 * const { channels, next }: QueryChannelsResult = await client.channels.query({ limit: 30 });
 */
export interface QueryChannelsResult {
  channels: ChannelState[];
  next: string | null;
}

/**
 * `POST …/read`.
 *
 * @example
 * const { unread_count }: MarkReadResult = await client.read.markRead(cid);
 */
export interface MarkReadResult {
  read: ReadState;
  unread_count: number;
  unread_mentions: number;
}

/**
 * `GET /v1/me/unread`.
 *
 * @example
 * const { total_unread_count }: UnreadResult = await client.me.unread();
 */
export interface UnreadResult {
  total_unread_count: number;
  unread_channels: number;
  total_unread_mentions: number;
  channels: Array<{ cid: string; unread_count: number; unread_mentions: number; last_read_seq: number }>;
  /** Threads the user takes part in (replied, or wrote the parent) that have unread replies. */
  unread_threads: number;
  threads: ThreadUnread[];
}

/**
 * One thread's unread replies (`GET /v1/me/unread` → `threads`).
 *
 * @example
 * const badge = (t: ThreadUnread) => `${t.unread_replies} new in ${t.cid}`;
 */
export interface ThreadUnread {
  parent_id: string;
  cid: string;
  unread_replies: number;
  last_read_seq: number;
}

/**
 * `POST /v1/messages/{id}/thread/read`.
 *
 * @example
 * const { thread }: ThreadReadResult = await client.read.markThreadRead(parentId);
 */
export interface ThreadReadResult {
  thread: { parent_id: string; cid: string; last_read_seq: number; last_read_at: string | null; unread_replies: number };
}

/**
 * `POST /v1/sync`.
 *
 * @example
 * const { events, cursor, has_more }: SyncResult = await client.syncApi.sync({ since });
 */
export interface SyncResult {
  events: Array<Record<string, unknown> & { type: string }>;
  cursor: string;
  has_more: boolean;
}

/**
 * `POST /v1/messages/{id}/reactions`, `DELETE …/reactions/{type}`.
 *
 * @example
 * const { message }: ReactionResult = await client.reactions.add(id, { type: 'like' });
 */
export interface ReactionResult {
  message: Message;
  reaction?: Reaction;
}

/**
 * `GET /v1/messages/{id}/history`.
 *
 * @example
 * const { history }: MessageHistoryResult = await client.messages.history(id);
 */
export interface MessageHistoryResult {
  history: Array<{ version: number; text: string; attachments: unknown[]; custom: Record<string, unknown>; created_at: string }>;
}

/**
 * `GET /v1/messages/{id}/reads`.
 *
 * @example
 * const { reads }: MessageReadsResult = await client.messages.reads(id);
 */
export interface MessageReadsResult {
  reads: Array<{ user_id: string; user: { id: string; name: string | null; image: string | null }; last_read_seq: number; last_read_at: string | null }>;
}

/**
 * `GET /v1/channel-types/{type}`: config and grants.
 *
 * @example
 * const info: ChannelTypeInfo = await client.app.channelType('messaging'); info.config.typing_events;
 */
export interface ChannelTypeInfo {
  name: string;
  config: Record<string, unknown>;
  grants: Record<string, string[]>;
  [key: string]: unknown;
}
