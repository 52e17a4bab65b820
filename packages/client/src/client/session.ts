/**
 * The session: the lifecycle of a connected client. Restores storage at `connect` (cold start),
 * starts realtime, catches up, runs the outbox and the action queue, reports the connection state,
 * stops everything on auth failure or `close`. `ParleyClient` adds the chat operations on top.
 */
import { ParleyApiClient } from '../api-client.js';
import type { ClientEvents } from '../client-events.js';
import type { ParleyClientOptions } from '../client-options.js';
import { ParleyError } from '../errors.js';
import type { ActionQueue } from '../offline/action-queue.js';
import type { Outbox } from '../offline/outbox.js';
import { Persister, withRestored } from '../offline/persister.js';
import { MemoryStorage } from '../offline/storage.js';
import type { Store } from '../state/store.js';
import { TypingExpiry } from '../state/typing.js';
import type { ConnectionState } from '../state/types.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import type { ThreadLoader } from '../sync/thread-loader.js';
import type { ChannelWatcher } from '../transport/channel-watcher.js';
import type { Realtime } from '../transport/realtime.js';
import { backoffDelay, sleep } from '../util/backoff.js';
import { Emitter } from '../util/emitter.js';
import { userOfToken } from '../api/token-manager.js';
import { createParts } from './parts.js';

/**
 * The connection lifecycle of {@link ParleyClient} (its base class; use `ParleyClient`).
 *
 * @example
 * const client = new ParleyClient({ url, tokenProvider, userId: 'alice' });
 * client.on('connection', (state) => setBanner(state));
 * await client.connect();
 */
export class ParleySession extends ParleyApiClient {
  /** The store: `subscribe` / `getSnapshot` (React's `useSyncExternalStore`), and the selectors. */
  readonly store: Store;
  /** Sends: `retry(clientMsgId)`, `cancel(clientMsgId)`, `idle()`. */
  readonly outbox: Outbox;
  /** Queued reactions, edits and deletes: `idle()`. */
  readonly actions: ActionQueue;
  /** Threads: `load(parentId)`, `loadOlder(parentId)`, `markRead(parentId)`; read them with `selectThread`, `selectThreadUnread`. */
  readonly threads: ThreadLoader;
  protected readonly engine: SyncEngine;
  protected readonly realtime: Realtime | undefined;
  protected readonly now: () => number;
  private readonly events = new Emitter<ClientEvents>();
  private readonly watcher: ChannelWatcher | undefined;
  private readonly typingExpiry: TypingExpiry;
  private persister: Persister | undefined;
  private started: Promise<void> | undefined;
  private closed = false;
  private syncedResolve!: () => void;
  private readonly synced = new Promise<void>((resolve) => (this.syncedResolve = resolve));
  private readonly pollAbort = new AbortController();
  private unsubscribeStore: (() => void) | undefined;

  constructor(protected readonly options: ParleyClientOptions) {
    super(options);
    this.now = options.now ?? Date.now;
    const parts = createParts(this, this.tokens, options, { persister: () => this.persister, events: this.events, setConnection: (s) => this.setConnection(s), onConnected: () => this.onConnected() });
    ({ store: this.store, outbox: this.outbox, actions: this.actions, realtime: this.realtime, watcher: this.watcher, engine: this.engine, threads: this.threads } = parts);
    this.typingExpiry = new TypingExpiry(this.store, this.now);
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
   * Restores the stored state (cold start), then goes online: realtime, catch-up, outbox and
   * action queue. Resolves once the stored state is in the store; `whenSynced` waits for the server.
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
   * After `auth-failed`: forget the failure and connect again (e.g. once the user signed in).
   *
   * @example
   * client.on('auth-failed', async () => { await signIn(); client.reconnect(); });
   */
  reconnect(): void {
    this.tokens.reset();
    this.setConnection('connecting');
    this.realtime?.start();
    this.kickQueues();
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
    this.actions.close();
    this.pollAbort.abort();
    this.typingExpiry.dispose();
    this.setConnection('closed');
    this.onClose();
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

  /** Subclasses release their own timers here. */
  protected onClose(): void {}

  private async start(): Promise<void> {
    this.setConnection('connecting');
    const userId = this.options.userId ?? (await userOfToken(this.tokens, () => this.closed, () => this.setConnection('offline')));
    if (!userId || this.closed) return;
    this.store.update((s) => ({ ...s, userId }));
    this.persister = new Persister(this.options.storage ?? new MemoryStorage(), userId, { onError: (error) => this.events.emit('error', error) });
    try {
      const saved = await this.persister.load();
      this.store.update((s) => withRestored(s, saved));
    } catch (error) {
      this.events.emit('error', error);
    }
    this.unsubscribeStore = this.store.subscribe(() => this.onStoreChange());
    this.onStoreChange();
    this.realtime?.start();
    this.kickQueues();
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

  private kickQueues(): void {
    this.outbox.kick();
    this.actions.kick();
  }

  private onConnected(): void {
    this.kickQueues();
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
    } else if (!this.realtime && current !== 'connected') {
      this.setConnection('connected');
      this.kickQueues();
    }
  }

  protected override onAuthFailed(error: ParleyError): void {
    this.outbox.pause();
    this.actions.pause();
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
