/**
 * Builds the moving parts of a client from its options: the outbox, the action queue, realtime,
 * the sync engine, the thread loader and the thread unread counts, wired to one store. Kept apart from the lifecycle
 * (session.ts) so each file reads as one concept.
 */
import type { ParleyApiClient } from '../api-client.js';
import type { TokenManager } from '../api/token-manager.js';
import type { ClientEvents } from '../client-events.js';
import type { ParleyClientOptions } from '../client-options.js';
import { ActionQueue } from '../offline/action-queue.js';
import { Outbox } from '../offline/outbox.js';
import type { Persister } from '../offline/persister.js';
import { Store } from '../state/store.js';
import { initialSnapshot, type ConnectionState } from '../state/types.js';
import { SyncEngine } from '../sync/sync-engine.js';
import { ThreadLoader } from '../sync/thread-loader.js';
import { ThreadUnreadSync } from '../sync/thread-unread-sync.js';
import { ChannelWatcher } from '../transport/channel-watcher.js';
import { Realtime, websocketUrl } from '../transport/realtime.js';
import type { Emitter } from '../util/emitter.js';

/**
 * What the parts report to their owner.
 *
 * @example
 * const host: PartsHost = { persister: () => persister, emit: (k, v) => events.emit(k, v), setConnection, onConnected };
 */
export interface PartsHost {
  persister(): Persister | undefined;
  events: Emitter<ClientEvents>;
  setConnection(state: ConnectionState): void;
  onConnected(): void;
}

/**
 * The parts of one client.
 *
 * @example
 * const { store, outbox, actions, engine } = createParts(api, tokens, options, host);
 */
export interface ClientParts {
  store: Store;
  outbox: Outbox;
  actions: ActionQueue;
  realtime: Realtime | undefined;
  watcher: ChannelWatcher | undefined;
  engine: SyncEngine;
  threads: ThreadLoader;
}

/**
 * Wires the parts together (nothing starts until the session's `connect`).
 *
 * @example
 * const parts = createParts(this, this.tokens, options, host);
 */
export function createParts(api: ParleyApiClient, tokens: TokenManager, options: ParleyClientOptions, host: PartsHost): ClientParts {
  const store = new Store(initialSnapshot());
  const { events } = host;
  const retry = { maxAttempts: options.outbox?.maxAttempts, minDelayMs: options.outbox?.minDelayMs, maxDelayMs: options.outbox?.maxDelayMs };
  const actions = new ActionQueue(
    {
      store,
      api: { addReaction: (id, body) => api.reactions.add(id, body), removeReaction: (id, type) => api.reactions.remove(id, type), update: (id, body) => api.messages.update(id, body), delete: (id, o) => api.messages.delete(id, o), get: (id) => api.messages.get(id) },
      persist: (queue) => host.persister()?.saveActions(queue) ?? Promise.resolve(),
      onFailed: (action, error) => events.emit('action-failed', { action, error }),
    },
    retry,
  );
  const outbox = new Outbox(
    {
      store,
      send: (cid, body) => api.messages.send(cid, body),
      persist: (items) => host.persister()?.saveOutbox(items) ?? Promise.resolve(),
      // Actions made on a message still in the outbox can go once it is sent (or fail once it cannot).
      onSent: (item, message) => (events.emit('message-sent', { item, message }), actions.kick()),
      onFailed: (item, error) => (events.emit('message-failed', { item, error }), actions.kick()),
    },
    options.outbox,
  );
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket;
  const realtime =
    options.realtime !== false && WebSocketImpl
      ? new Realtime(
          { url: options.wsUrl ?? websocketUrl(options.url), tokens, WebSocket: WebSocketImpl, apiKey: options.apiKey, minReconnectDelay: options.reconnectDelay?.min, maxReconnectDelay: options.reconnectDelay?.max },
          {
            onEvent: (event) => void engine.push(event),
            onState: (state) => host.setConnection(state),
            onConnected: () => host.onConnected(),
            onUnrecovered: () => void engine.catchUp().catch((error) => events.emit('error', error)),
            onPresence: (userId, delta) => store.update((s) => ({ ...s, presence: { ...s.presence, [userId]: Math.max(0, (s.presence[userId] ?? 0) + delta) } })),
            onError: (error) => events.emit('error', error),
          },
        )
      : undefined;
  const threadUnread = new ThreadUnreadSync({ store, read: api.read, messages: api.messages, onError: (error) => events.emit('error', error) });
  const engine: SyncEngine = new SyncEngine({
    store,
    channels: api.channels,
    messages: api.messages,
    sync: api.syncApi,
    now: options.now ?? Date.now,
    typingTtlMs: options.typingTtlMs,
    query: options.channelQuery ?? {},
    isWatched: (cid) => realtime?.watching(cid) ?? false,
    afterMissedEvents: (cid) => threads.refresh(cid),
    threadUnread,
    onError: (error) => events.emit('error', error),
    onEvent: (event) => events.emit('event', event),
  });
  const threads = new ThreadLoader({ store, messages: api.messages, serial: (task) => engine.serial(task), unread: threadUnread });
  return { store, outbox, actions, realtime, watcher: realtime && new ChannelWatcher(realtime), engine, threads };
}
