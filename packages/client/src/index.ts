/**
 * @parley/client — the browser / React Native entry (no Node built-ins). Node adds
 * `@parley/client/node` (file storage). Guide: docs/sdk.md.
 */
export { ParleyClient } from './client.js';
export type { ParleyClientOptions } from './client-options.js';
export { ParleyApiClient, type ParleyApiClientOptions } from './api-client.js';
export type { ClientEvents } from './client-events.js';
export { ParleyError, isParleyError, type ParleyErrorInit, type ClientErrorCode } from './errors.js';
export { TokenManager, type TokenProvider } from './api/token-manager.js';
export { HttpClient, errorFromResponse, channelPath, type Transport, type RequestOptions, type HttpClientOptions, type QueryValue } from './api/http.js';
export { ChannelsApi } from './api/channels.js';
export { MembersApi } from './api/members.js';
export { MessagesApi } from './api/messages.js';
export { ReactionsApi, PinsApi, StarsApi } from './api/reactions.js';
export { ReadStateApi, SyncApi } from './api/read-state.js';
export { UsersApi, MeApi, BlocksApi, type QueryUsersOptions } from './api/users.js';
export { AppApi, AppsApi, type AppInfo } from './api/admin.js';
export type { RoleName } from './api/roles.js';
export type * from './api/types.js';
export { Store } from './state/store.js';
export { initialSnapshot, type ClientSnapshot, type ConnectionState, type OutboxItem, type PendingReaction, type TypingEntry, type Draft, type MessageStatus, type ClientMessage } from './state/types.js';
export { selectChannelList, selectMessages, selectUnread, selectTyping, selectOnline, selectDraft, statusOf, draftKey } from './state/selectors.js';
export { applyEvent, upsertChannelState, mergeMessages, removeChannel, prependMessages, TYPING_TTL_MS } from './state/apply-event.js';
export { applyTyping, expireTyping, nextTypingExpiry, TypingExpiry } from './state/typing.js';
export { sortChannelList, activityOf } from './state/channel-list.js';
export { classify, floorOf, type Position } from './state/positions.js';
export { withConsistentUnread } from './state/normalize.js';
export { Drafts } from './state/drafts.js';
export { MemoryStorage, type Storage } from './offline/storage.js';
export { IndexedDBStorage, type IdbFactoryLike, type IdbKeyRangeLike } from './offline/storage-indexeddb.js';
export { AsyncStorageAdapter, type AsyncStorageLike } from './offline/storage-async-storage.js';
export { Persister, type PersistedState } from './offline/persister.js';
export { Outbox, type SendHandle, type SendResult, type OutboxOptions } from './offline/outbox.js';
export { reactOptimistically } from './offline/optimistic-reactions.js';
export { SyncEngine } from './sync/sync-engine.js';
export { Realtime, websocketUrl, type RealtimeHandlers, type RealtimeOptions } from './transport/realtime.js';
export { ChannelWatcher } from './transport/channel-watcher.js';
export { TypingSender } from './transport/typing-sender.js';
export { Emitter, type Listener } from './util/emitter.js';
export { newClientMsgId, jwtSubject } from './util/ids.js';
export { backoffDelay, sleep } from './util/backoff.js';
export { applyChannelEvent, countsAsUnread, type WireEvent } from '@parley/protocol';
