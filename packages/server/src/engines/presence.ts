/**
 * Presence engine: per app, which clients (connections) of which users are in which channel, and
 * whether a user is online anywhere. See docs/subsystems/presence.md.
 *
 * Contract (the conformance suite, engines/presence.test.ts, checks it for every implementation):
 * - `add(appId, channel, clientId, info)` records a client in a channel (idempotent: adding again
 *   replaces its info). The engine keeps the entry alive (a heartbeat refreshes it in shared
 *   stores) until `remove` is called for it; the caller removes every entry of a connection when
 *   the connection ends.
 * - Entries of a node that stops without removing them (crash, lost network) expire after the
 *   engine's TTL; `close()` stops refreshing and leaves them to expire the same way.
 * - `list`, `stats` and `online` see the entries of every node sharing the store (memory: this
 *   process only). A client id is unique per connection; a user may have several clients.
 * - `online(appId, userId)`: the user has at least one live entry in any channel of the app. The
 *   gateway adds each connection to its personal channel (`user#<id>`), so this means "has a
 *   connection", wherever it is.
 * - Channels are opaque strings, scoped by app: the same channel name in two apps is two channels.
 */
export interface Presence {
  add(appId: string, channel: string, clientId: string, info: PresenceInfo): Promise<void>;
  remove(appId: string, channel: string, clientId: string): Promise<void>;
  /** Clients in the channel by client id (Centrifugo's presence result shape). */
  list(appId: string, channel: string): Promise<Record<string, ClientInfo>>;
  stats(appId: string, channel: string): Promise<PresenceStats>;
  online(appId: string, userId: string): Promise<boolean>;
  /** The subset of `userIds` that is online (one round trip). */
  onlineUsers(appId: string, userIds: readonly string[]): Promise<Set<string>>;
  close(): Promise<void>;
}

/** What the gateway records about a client in a channel (Centrifugo's ClientInfo, minus `client`). */
export interface PresenceInfo {
  user: string;
  conn_info?: unknown;
  chan_info?: unknown;
}

export interface ClientInfo extends PresenceInfo {
  client: string;
}

export interface PresenceStats {
  num_clients: number;
  num_users: number;
}

/** Default entry lifetime without a refresh; the heartbeat runs every third of it. */
export const PRESENCE_TTL_MS = 60_000;
