/** Read state: mark read / delivered, and the sync feed. */
import { channelPath, type Transport } from './http.js';
import type { MarkReadResult, ReadState, SyncResult, ThreadReadResult, UnreadResult } from './types.js';

/**
 * `client.read`: the read and delivered pointers.
 *
 * @example
 * await client.read.markRead('messaging:general'); // up to the latest message
 * await client.read.markDelivered('messaging:general', 42);
 */
export class ReadStateApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/channels/{type}/{id}/read`: up to `seq`, a `message_id`, or (neither) the latest.
   *
   * @example
   * const { unread_count } = await client.read.markRead('messaging:general', { seq: 120 });
   */
  markRead(cid: string, body: { seq?: number; message_id?: string } = {}): Promise<MarkReadResult> {
    return this.http.request('POST', `${channelPath(cid)}/read`, { body });
  }

  /**
   * `POST /v1/channels/read`: every channel.
   *
   * @example
   * await client.read.markAllRead();
   */
  markAllRead(): Promise<{ marked: number }> {
    return this.http.request('POST', '/v1/channels/read');
  }

  /**
   * `POST /v1/channels/{type}/{id}/delivered`.
   *
   * @example
   * await client.read.markDelivered('messaging:general', message.seq);
   */
  async markDelivered(cid: string, seq: number): Promise<ReadState> {
    return (await this.http.request<{ read: ReadState }>('POST', `${channelPath(cid)}/delivered`, { body: { seq } })).read;
  }

  /**
   * `POST /v1/messages/{id}/thread/read`: the thread of `parentId` is read up to `seq` (default:
   * its last reply). The pointer never moves back; the user's devices get
   * `notification.thread_mark_read` (which updates their stores). `client.threads.markRead`
   * also clears the count in this device's store at once.
   *
   * @example
   * const { thread } = await client.read.markThreadRead(parent.id);
   * thread.unread_replies; // 0
   */
  markThreadRead(parentId: string, seq?: number): Promise<ThreadReadResult> {
    return this.http.request('POST', `/v1/messages/${encodeURIComponent(parentId)}/thread/read`, { body: seq === undefined ? {} : { seq } });
  }

  /**
   * `GET /v1/me/unread` (same as `client.me.unread`).
   *
   * @example
   * const { total_unread_count } = await client.read.unread();
   */
  unread(): Promise<UnreadResult> {
    return this.http.request('GET', '/v1/me/unread');
  }
}

/**
 * `client.syncApi`: the raw `POST /v1/sync` (the client's sync engine calls it on reconnect).
 *
 * @example
 * let { cursor } = await client.syncApi.sync();
 * const { events, cursor: next, has_more } = await client.syncApi.sync({ since: cursor });
 */
export class SyncApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/sync`: events since `since`, in commit order; without `since`, no events and the
   * current cursor. `409 RESYNC_REQUIRED` past the retained window.
   *
   * @example
   * const page = await client.syncApi.sync({ since: cursor, cids: ['messaging:general'] });
   */
  sync(body: { since?: string; cids?: string[] } = {}): Promise<SyncResult> {
    return this.http.request('POST', '/v1/sync', { body });
  }
}
