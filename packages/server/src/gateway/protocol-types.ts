/**
 * Centrifugo's bidirectional client protocol (version 2), JSON encoding: the frames the
 * `centrifuge` client sends and expects. Field names follow the protocol's client.proto; only the
 * parts Parley uses are typed. See docs/subsystems/realtime.md.
 *
 * A frame holds one or more JSON objects separated by newlines. A command carries `id` (> 0) and
 * exactly one request; a reply carries the same `id` and either the result or `error`. Pushes
 * (server → client, no id) carry `push`. An empty object is a ping (server → client) or its pong
 * (client → server).
 */

export interface ProtocolError {
  code: number;
  message: string;
  temporary?: boolean;
}

export interface ConnectRequest {
  token?: string;
  data?: unknown;
  /** Server-side subscriptions to recover; ours (`user#…`) are not recoverable, so ignored. */
  subs?: Record<string, unknown>;
  name?: string;
  version?: string;
  headers?: Record<string, string>;
}

export interface SubscribeRequest {
  channel: string;
  token?: string;
  recover?: boolean;
  epoch?: string;
  offset?: number;
  data?: unknown;
  positioned?: boolean;
  recoverable?: boolean;
  join_leave?: boolean;
  /** Bit flags: 1 channel compaction (ignored: we never send numeric ids), 2 reject unrecovered. */
  flag?: number;
  delta?: string;
}

export interface StreamPosition {
  offset: number;
  epoch: string;
}

export interface HistoryRequest {
  channel: string;
  limit?: number;
  since?: Partial<StreamPosition>;
  reverse?: boolean;
}

export interface RpcRequest {
  method?: string;
  data?: unknown;
}

/** One parsed client command: which request it holds, and its body. */
export type Command =
  | { id: number; kind: 'connect'; body: ConnectRequest }
  | { id: number; kind: 'subscribe'; body: SubscribeRequest }
  | { id: number; kind: 'unsubscribe'; body: { channel: string } }
  | { id: number; kind: 'publish'; body: { channel: string; data?: unknown } }
  | { id: number; kind: 'presence'; body: { channel: string } }
  | { id: number; kind: 'presence_stats'; body: { channel: string } }
  | { id: number; kind: 'history'; body: HistoryRequest }
  | { id: number; kind: 'ping'; body: Record<string, never> }
  | { id: number; kind: 'rpc'; body: RpcRequest }
  | { id: number; kind: 'refresh'; body: { token?: string } }
  | { id: number; kind: 'sub_refresh'; body: { channel: string; token?: string } }
  /** Fire-and-forget message (`send`, no id): accepted and dropped; Parley has no use for it. */
  | { id: 0; kind: 'send'; body: { data?: unknown } }
  /** `{}`: the answer to the server's ping. */
  | { id: 0; kind: 'pong'; body: Record<string, never> };

export type CommandKind = Command['kind'];

export interface ClientInfo {
  client: string;
  user: string;
  conn_info?: unknown;
  chan_info?: unknown;
}

export interface Publication {
  data: unknown;
  /** The channel `seq`; absent for ephemeral events (typing) and personal notifications. */
  offset?: number;
}

export interface SubscribeResult {
  recoverable?: boolean;
  positioned?: boolean;
  epoch?: string;
  offset?: number;
  recovered?: boolean;
  was_recovering?: boolean;
  publications?: Publication[];
}

export interface ConnectResult {
  client: string;
  version: string;
  expires?: boolean;
  ttl?: number;
  data?: unknown;
  subs?: Record<string, SubscribeResult>;
  /** Seconds between the server's pings. */
  ping: number;
  /** The client must answer pings. */
  pong: boolean;
  node?: string;
}

export type Push =
  | { channel: string; pub: Publication }
  | { channel: string; join: { info: ClientInfo } }
  | { channel: string; leave: { info: ClientInfo } }
  | { channel: string; unsubscribe: { code: number; reason: string } }
  | { channel: string; subscribe: SubscribeResult }
  | { disconnect: { code: number; reason: string } };

/** Everything the server writes: a reply (with id), a push, or `{}` (ping). */
export type Reply = ({ id: number } & ({ error: ProtocolError } | Record<string, unknown>)) | { push: Push } | Record<string, never>;
