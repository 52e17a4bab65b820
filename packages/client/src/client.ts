/**
 * `ParleyClient`: typed REST groups, a realtime connection, a normalized store, an offline
 * outbox, sync. Guide: docs/sdk.md.
 */
import type { Message, SendMessageBody } from '@parley/protocol';
import { ParleyApiClient } from './api-client.js';
import type { ClientEvents } from './client-events.js';
import type { ParleyClientOptions } from './client-options.js';
import { ParleyError } from './errors.js';
import { reactOptimistically } from './offline/optimistic-reactions.js';
import { Outbox, type SendHandle } from './offline/outbox.js';
import { Persister } from './offline/persister.js';
import { MemoryStorage } from './offline/storage.js';
import { applyEvent, prependMessages, upsertChannelState } from './state/apply-event.js';
import { Drafts } from './state/drafts.js';
import { Store } from './state/store.js';
import { TypingExpiry } from './state/typing.js';
import { type ConnectionState, initialSnapshot } from './state/types.js';
import { SyncEngine } from './sync/sync-engine.js';
import { Realtime, websocketUrl } from './transport/realtime.js';
import { ChannelWatcher } from './transport/channel-watcher.js';
import { TypingSender } from './transport/typing-sender.js';
import { Emitter } from './util/emitter.js';
import { jwtSubject } from './util/ids.js';
import { backoffDelay, sleep } from './util/backoff.js';

/**
 * The Parley client.
 *
 * @example
 * import { ParleyClient, selectChannelList } from '@parley/client';
 * const client = new ParleyClient({ url: 'https://chat.example.com', tokenProvider: () => getToken(), userId: 'alice' });
 * client.store.subscribe(() => render(selectChannelList(client.store.getSnapshot())));
 * await client.connect();
 * client.send('messaging:general', { text: 'hello' });
 */
export class ParleyClient extends ParleyApiClient {
  readonly store = new Store(initialSnapshot());
  readonly typing: TypingSender;
  readonly drafts: Drafts;
  readonly outbox: Outbox;

  private readonly events = new Emitter<ClientEvents>();
  private readonly engine: SyncEngine;
  private readonly realtime: Realtime | undefined;
  private readonly now: () => number;
  private persister: Persister | undefined;
  private started: Promise<void> | undefined;
  private closed = false;
  private syncedResolve!: () => void;
  private readonly synced = new Promise<void>((resolve) => (this.syncedResolve = resolve));
  private pollAbort = new AbortController();
  private readonly typingExpiry: TypingExpiry;
  private readonly watcher: ChannelWatcher | undefined;
  private unsubscribeStore: (() => void) | undefined;

  constructor(private readonly options: ParleyClientOptions) {
    super(options);
    this.now = options.now ?? Date.now;
    this.drafts = new Drafts(this.store);
    this.typing = new TypingSender((cid, state, parentId) => this.channels.typing(cid, parentId ? { state, parent_id: parentId } : { state }), this.now);
    this.outbox = new Outbox(
      {
        store: this.store,
        send: (cid, body) => this.messages.send(cid, body),
        persist: (outbox) => this.persister?.saveOutbox(outbox) ?? Promise.resolve(),
        onSent: (item, message) => this.events.emit('message-sent', { item, message }),
        onFailed: (item, error) => this.events.emit('message-failed', { item, error }),
      },
      options.outbox,
    );
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket;
    if (options.realtime !== false && WebSocketImpl) {
      this.realtime = new Realtime(
        { url: options.wsUrl ?? websocketUrl(options.url), tokens: this.tokens, WebSocket: WebSocketImpl, apiKey: options.apiKey, minReconnectDelay: options.reconnectDelay?.min, maxReconnectDelay: options.reconnectDelay?.max },
        {
          onEvent: (event) => void this.engine.push(event),
          onState: (state) => this.setConnection(state),
          onConnected: () => this.onConnected(),
          onUnrecovered: () => void this.engine.catchUp().catch((error) => this.events.emit('error', error)),
          onPresence: (userId, delta) => this.store.update((s) => ({ ...s, presence: { ...s.presence, [userId]: Math.max(0, (s.presence[userId] ?? 0) + delta) } })),
          onError: (error) => this.events.emit('error', error),
        },
      );
    }
    this.watcher = this.realtime && new ChannelWatcher(this.realtime);
    this.typingExpiry = new TypingExpiry(this.store, this.now);
    this.engine = new SyncEngine({
      store: this.store,
      channels: this.channels,
      messages: this.messages,
      sync: this.syncApi,
      now: this.now,
      typingTtlMs: options.typingTtlMs,
      query: options.channelQuery ?? {},
      isWatched: (cid) => this.realtime?.watching(cid) ?? false,
      onError: (error) => this.events.emit('error', error),
      onEvent: (event) => this.events.emit('event', event),
    });
  }

  /** The signed-in user's id (known after `connect`, or from the options). */
  get userId(): string | null {
    return this.store.getSnapshot().userId;
  }

  /** The connection state (also in the snapshot, and as the `connection` event). */
  get connection(): ConnectionState {
    return this.store.getSnapshot().connection;
  }

  /**
   * Listens to a client event; returns the unsubscribe function.
   *
   * @example
   * const off = client.on('auth-failed', () => signOut());
   */
  on<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Restores the stored state (cold start), then goes online: realtime, catch-up, outbox.
   * Resolves once the stored state is in the store; {@link ParleyClient.whenSynced} waits for the
   * server.
   *
   * @example
   * await client.connect();
   * render(client.store.getSnapshot()); // stored channels and messages, before the network answers
   */
  connect(): Promise<void> {
    this.started ??= this.start();
    return this.started;
  }

  /**
   * Resolves after the first successful catch-up with the server.
   *
   * @example
   * await client.connect();
   * await client.whenSynced();
   */
  whenSynced(): Promise<void> {
    return this.synced;
  }

  /**
   * Catches up with the server now (`/v1/sync` from the cursor; a reload when none).
   *
   * @example
   * await client.sync();
   */
  sync(): Promise<void> {
    return this.engine.catchUp().then(() => this.syncedResolve());
  }

  /**
   * Sends a message through the outbox: shown at once as pending, persisted, retried with backoff
   * while offline, deduplicated by client_msg_id.
   *
   * @example
   * const handle = client.send('messaging:general', { text: 'hello' });
   * const result = await handle.settled; // { status: 'sent', message } | { status: 'failed', error } | { status: 'cancelled' }
   */
  send(cid: string, body: SendMessageBody): SendHandle {
    const userId = this.userId;
    if (!userId) throw new ParleyError({ code: 'UNAUTHORIZED', status: 401, message: 'connect() first: the user is not known yet' });
    this.typing.stop(cid, body.parent_id ?? null);
    return this.outbox.enqueue(cid, body, userId);
  }

  /**
   * Adds a reaction optimistically (reverted if the server refuses; the error is rethrown).
   *
   * @example
   * await client.react(message.id, 'like');
   */
  react(messageId: string, type: string, options: { score?: number; enforce_unique?: boolean } = {}): Promise<Message> {
    return reactOptimistically(this.store, this.reactions, { message_id: messageId, type, op: 'add', score: options.score ?? 1, enforce_unique: options.enforce_unique ?? false });
  }

  /**
   * Removes your reaction optimistically (restored if the server refuses).
   *
   * @example
   * await client.unreact(message.id, 'like');
   */
  unreact(messageId: string, type: string): Promise<Message> {
    return reactOptimistically(this.store, this.reactions, { message_id: messageId, type, op: 'remove', score: 0, enforce_unique: false });
  }

  /**
   * Marks a channel read (up to the latest, a seq, or a message) and updates the store's counts.
   *
   * @example
   * await client.markRead('messaging:general');
   */
  async markRead(cid: string, at: { seq?: number; message_id?: string } = {}): Promise<void> {
    const result = await this.read.markRead(cid, at);
    this.store.update((s) => applyEvent(s, { type: 'notification.mark_read', cid, last_read_seq: result.read.last_read_seq, unread_count: result.unread_count, unread_mentions: result.unread_mentions }, this.now()));
  }

  /**
   * Loads a channel's state into the store (e.g. opening a channel not in the list).
   *
   * @example
   * await client.loadChannel('livestream:match-1');
   */
  async loadChannel(cid: string, query: { message_limit?: number } = {}): Promise<void> {
    const state = await this.channels.get(cid, { message_limit: query.message_limit ?? 30 });
    this.store.update((s) => upsertChannelState(s, state));
  }

  /**
   * Loads older messages of a channel (scrolling up). Returns whether more exist.
   *
   * @example
   * const more = await client.loadOlder('messaging:general', 50);
   */
  async loadOlder(cid: string, limit = 50): Promise<boolean> {
    const first = this.store.getSnapshot().channels[cid]?.messages[0];
    const page = await this.messages.list(cid, first ? { before_seq: first.seq, limit } : { limit });
    this.store.update((s) => prependMessages(s, cid, page.messages, page.has_more_before));
    return page.has_more_before;
  }

  /**
   * Users connected to a channel right now (the channel type's `presence` must be on).
   *
   * @example
   * const online = await client.presence('team:general');
   */
  async presence(cid: string): Promise<string[]> {
    return this.realtime ? this.realtime.presence(cid) : [];
  }

  /**
   * After `auth-failed`: forget the failure and connect again (e.g. once the user signed in).
   *
   * @example
   * client.on('auth-failed', async () => { await signIn(); client.reconnect(); });
   */
  reconnect(): void {
    this.tokens.reset();
    this.setConnection('connecting');
    this.realtime?.start();
    this.outbox.kick();
    void this.catchUpLoop();
  }

  /**
   * Stops everything and writes pending state to storage. The instance cannot be reused.
   *
   * @example
   * await client.close();
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.realtime?.stop();
    this.outbox.close();
    this.typing.dispose();
    this.pollAbort.abort();
    this.typingExpiry.dispose();
    this.setConnection('closed');
    await this.persister?.flush();
    this.unsubscribeStore?.();
    this.events.clear();
  }

  /**
   * Deletes everything stored for this user (sign-out), then closes.
   *
   * @example
   * await client.clearStorage();
   */
  async clearStorage(): Promise<void> {
    await this.persister?.clear();
    await this.close();
  }

  private async start(): Promise<void> {
    this.setConnection('connecting');
    let userId = this.options.userId;
    while (!userId && !this.closed) {
      try {
        userId = jwtSubject(await this.tokens.current());
        if (!userId) throw this.tokens.fail('the token has no `sub` claim: pass options.userId');
      } catch {
        if (this.tokens.failed) return;
        this.setConnection('offline');
        await sleep(backoffDelay(0, 1_000, 5_000));
      }
    }
    if (!userId || this.closed) return;
    this.store.update((s) => ({ ...s, userId }));
    this.persister = new Persister(this.options.storage ?? new MemoryStorage(), userId, { onError: (error) => this.events.emit('error', error) });
    try {
      const saved = await this.persister.load();
      this.store.update((s) => ({ ...s, ...saved, outbox: [...saved.outbox, ...s.outbox.filter((i) => !saved.outbox.some((o) => o.client_msg_id === i.client_msg_id))], hydrated: true }));
    } catch (error) {
      this.events.emit('error', error);
    }
    this.unsubscribeStore = this.store.subscribe(() => this.onStoreChange());
    this.onStoreChange();
    this.realtime?.start();
    this.outbox.kick();
    void this.catchUpLoop();
  }

  /** Catches up, retrying with backoff while offline; then polls when there is no realtime. */
  private async catchUpLoop(): Promise<void> {
    for (let failures = 0; !this.closed && !this.tokens.failed; ) {
      try {
        await this.sync();
        failures = 0;
        if (this.realtime) return;
        const interval = this.options.pollIntervalMs ?? 10_000;
        if (interval <= 0) return;
        await sleep(interval, this.pollAbort.signal);
      } catch (error) {
        if (!(error instanceof ParleyError) || !error.transient) this.events.emit('error', error);
        await sleep(backoffDelay(failures++, 500, 30_000), this.pollAbort.signal);
      }
    }
  }

  private onConnected(): void {
    this.outbox.kick();
    void this.engine
      .catchUp()
      .then(() => this.syncedResolve())
      .catch((error) => this.events.emit('error', error));
  }

  protected override onReachability(reachable: boolean): void {
    const current = this.connection;
    if (current === 'auth-failed' || current === 'closed') return;
    if (!reachable) {
      if (!this.realtime || current !== 'connected') this.setConnection('offline');
    } else if (!this.realtime) {
      if (current !== 'connected') {
        this.setConnection('connected');
        this.outbox.kick();
      }
    }
  }

  protected override onAuthFailed(error: ParleyError): void {
    this.outbox.pause();
    this.realtime?.stop();
    this.setConnection('auth-failed');
    this.events.emit('auth-failed', error);
  }

  private setConnection(state: ConnectionState): void {
    if (this.closed && state !== 'closed') return;
    if (this.tokens.failed && state !== 'auth-failed' && state !== 'closed') return;
    if (this.connection === state) return;
    this.store.update((s) => ({ ...s, connection: state, presence: state === 'connected' ? s.presence : {} }));
    this.events.emit('connection', state);
  }

  private onStoreChange(): void {
    const snapshot = this.store.getSnapshot();
    this.persister?.schedule(snapshot);
    this.watcher?.update(snapshot);
    if (!this.closed) this.typingExpiry.schedule();
  }
}
