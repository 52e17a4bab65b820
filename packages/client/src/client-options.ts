/** Options of `new ParleyClient(...)`. */
import type { QueryChannelsBody } from '@parley/protocol';
import type { TokenProvider } from './api/token-manager.js';
import type { OutboxOptions } from './offline/outbox.js';
import type { Storage } from './offline/storage.js';
import type { DeliveryReceiptOptions } from './transport/delivery-receipts.js';

/**
 * @example
 * const options: ParleyClientOptions = {
 *   url: 'https://chat.example.com',
 *   tokenProvider: async () => (await fetch('/api/chat-token')).text(),
 *   userId: 'alice',                        // lets a cold start render from storage before any network
 *   storage: new IndexedDBStorage('parley'),
 * };
 */
export interface ParleyClientOptions {
  /** The server's base URL (`https://chat.example.com`); the WebSocket URL is derived from it. */
  url: string;
  /** Called at connect and whenever the token expired; see {@link TokenProvider}. */
  tokenProvider: TokenProvider;
  /** The signed-in user's id. Default: the `sub` of the first token (needs the provider). */
  userId?: string;
  /** Sent as `X-Api-Key` / connect `api_key`: needed with external identity provider (JWKS) tokens. */
  apiKey?: string;
  /** Where the outbox, drafts, channels and recent messages are kept. Default: memory. */
  storage?: Storage;
  /** The WebSocket constructor (Node < 22: `ws`). Default: the global one. */
  WebSocket?: unknown;
  /** Realtime on (default, when a WebSocket exists) or off (REST + `/v1/sync` polling). */
  realtime?: boolean;
  /** Override the WebSocket URL (default: `url` with ws(s):// and `/connection/websocket`). */
  wsUrl?: string;
  /** A `fetch` implementation; default: the global one. */
  fetch?: typeof fetch;
  /** What the store loads into the channel list (merged over: last_message_at desc, 30 channels, 30 messages). */
  channelQuery?: QueryChannelsBody;
  /** Without realtime: how often to sync, in ms (default 10,000; 0: only on demand). */
  pollIntervalMs?: number;
  /** Outbox retry policy. */
  outbox?: OutboxOptions;
  /** Reconnect backoff bounds of the realtime connection in ms (default 500 … 20,000). */
  reconnectDelay?: { min?: number; max?: number };
  /** REST request timeout in ms (default 15,000). */
  requestTimeoutMs?: number;
  /** How long someone shows as typing after a `typing.start` without a `typing.stop` (default 7,000 ms). */
  typingTtlMs?: number;
  /** Send delivery receipts for messages that reached this device (default on; see docs/sdk.md). */
  deliveryReceipts?: boolean | DeliveryReceiptOptions;
  /** The clock (tests). */
  now?: () => number;
}
