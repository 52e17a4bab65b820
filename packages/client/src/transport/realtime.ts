/**
 * Realtime over the `centrifuge` client (the gateway speaks Centrifugo's protocol): one
 * connection, the personal channel `user#<id>` (server-side), one recoverable subscription per
 * watched channel `chat:<cid>`. Centrifuge brings reconnect with backoff, recovery of missed
 * publications by offset (= channel seq), and token refresh through `getToken`.
 * See docs/subsystems/realtime.md and docs/sdk.md.
 */
import { Centrifuge, UnauthorizedError, type Subscription } from 'centrifuge';
import type { WireEvent } from '@parley/protocol';
import { ParleyError } from '../errors.js';
import type { TokenManager } from '../api/token-manager.js';

/** Disconnect codes after which the server will not take this token (or user) again. */
const AUTH_CODES = new Set([3500, 3503]);

/**
 * What the transport reports to the client.
 *
 * @example
 * const handlers: RealtimeHandlers = { onEvent: (e) => engine.push(e), onState: console.log, onConnected: () => engine.catchUp(), onUnrecovered: () => engine.catchUp(), onPresence: () => {}, onError: console.error };
 */
export interface RealtimeHandlers {
  onEvent(event: WireEvent): void;
  /** `connecting` (first attempt), `connected`, `offline` (retrying), `auth-failed`. */
  onState(state: 'connecting' | 'connected' | 'offline' | 'auth-failed'): void;
  /** After every successful connect; `first` is false on reconnects. */
  onConnected(first: boolean): void;
  /** A channel subscription could not recover what it missed. */
  onUnrecovered(cid: string): void;
  onPresence(userId: string, delta: 1 | -1): void;
  onError(error: unknown): void;
}

/**
 * Options of {@link Realtime}.
 *
 * @example
 * new Realtime({ url: websocketUrl('http://127.0.0.1:3000'), tokens, WebSocket }, handlers);
 */
export interface RealtimeOptions {
  url: string;
  tokens: TokenManager;
  WebSocket: unknown;
  apiKey?: string;
  minReconnectDelay?: number;
  maxReconnectDelay?: number;
  timeout?: number;
}

/**
 * The realtime connection and its channel subscriptions.
 *
 * @example
 * const rt = new Realtime({ url: 'ws://localhost:3000/connection/websocket', tokens, WebSocket }, handlers);
 * rt.start();
 * rt.watch('messaging:general');
 */
export class Realtime {
  private readonly centrifuge: Centrifuge;
  private readonly subs = new Map<string, Subscription>();
  private lastToken: string | undefined;
  private connectedOnce = false;
  private authRetried = false;
  private stopped = true;

  constructor(
    private readonly options: RealtimeOptions,
    private readonly handlers: RealtimeHandlers,
  ) {
    this.centrifuge = new Centrifuge(options.url, {
      websocket: options.WebSocket,
      data: options.apiKey ? { api_key: options.apiKey } : null,
      getToken: () => this.getToken(),
      minReconnectDelay: options.minReconnectDelay ?? 500,
      maxReconnectDelay: options.maxReconnectDelay ?? 20_000,
      timeout: options.timeout ?? 5_000,
      name: 'parley-js',
    });
    this.listen();
  }

  /** Connects (and keeps reconnecting until `stop`). */
  start(): void {
    this.stopped = false;
    this.authRetried = false;
    this.centrifuge.connect();
  }

  /** Disconnects for good. */
  stop(): void {
    this.stopped = true;
    this.centrifuge.disconnect();
  }

  /** How many channels have a subscription. */
  get size(): number {
    return this.subs.size;
  }

  /** Whether a channel has a subscription. */
  watching(cid: string): boolean {
    return this.subs.has(cid);
  }

  /**
   * Subscribes to `chat:<cid>` (recoverable: a reconnect recovers the missed events). `since`, the
   * seq the store's state of the channel stands at, makes the first subscribe recover what was
   * published after it, so nothing between loading the state and subscribing is lost.
   */
  watch(cid: string, since?: number): void {
    if (this.subs.has(cid)) return;
    const sub = this.centrifuge.newSubscription(`chat:${cid}`, { recoverable: true, positioned: true, joinLeave: true, since: since === undefined ? null : { offset: since, epoch: '' } });
    sub.on('publication', (ctx) => this.handlers.onEvent(ctx.data as WireEvent));
    sub.on('subscribed', (ctx) => {
      if (ctx.wasRecovering && !ctx.recovered) this.handlers.onUnrecovered(cid);
    });
    sub.on('join', (ctx) => ctx.info.user && this.handlers.onPresence(ctx.info.user, 1));
    sub.on('leave', (ctx) => ctx.info.user && this.handlers.onPresence(ctx.info.user, -1));
    sub.on('error', (ctx) => this.handlers.onError(ctx.error));
    this.subs.set(cid, sub);
    sub.subscribe();
  }

  /** Ends a channel subscription. */
  unwatch(cid: string): void {
    const sub = this.subs.get(cid);
    if (!sub) return;
    this.subs.delete(cid);
    sub.unsubscribe();
    this.centrifuge.removeSubscription(sub);
  }

  /** Users connected to a channel right now (needs the type's `presence`). */
  async presence(cid: string): Promise<string[]> {
    const sub = this.subs.get(cid);
    if (!sub) return [];
    const result = await sub.presence();
    return [...new Set(Object.values(result.clients).map((info) => info.user))];
  }

  private async getToken(): Promise<string> {
    try {
      const token = this.lastToken === undefined ? await this.options.tokens.current() : await this.options.tokens.refresh(this.lastToken);
      this.lastToken = token;
      return token;
    } catch (error) {
      if (this.options.tokens.failed) throw new UnauthorizedError(this.options.tokens.failed.message);
      throw error;
    }
  }

  private listen(): void {
    const c = this.centrifuge;
    c.on('connecting', (ctx) => {
      if (this.stopped) return;
      this.handlers.onState(ctx.code === 0 && !this.connectedOnce ? 'connecting' : 'offline');
    });
    c.on('connected', () => {
      const first = !this.connectedOnce;
      this.connectedOnce = true;
      this.authRetried = false;
      this.handlers.onState('connected');
      this.handlers.onConnected(first);
    });
    c.on('error', (ctx) => {
      if (this.stopped) return;
      if (ctx.type === 'transport' || ctx.type === 'connect' || ctx.type === 'connectToken') this.handlers.onState('offline');
    });
    c.on('disconnected', (ctx) => {
      if (this.stopped) return;
      const unauthorized = ctx.code === 1 || AUTH_CODES.has(ctx.code);
      if (!unauthorized) {
        // A bad-request close (3501/3502) does not reconnect by itself; try again later.
        this.handlers.onState('offline');
        const timer = setTimeout(() => !this.stopped && c.connect(), this.options.maxReconnectDelay ?? 5_000);
        (timer as { unref?: () => void }).unref?.();
        return;
      }
      if (ctx.code === 3500 && !this.authRetried && !this.options.tokens.failed) {
        // The token was refused (revoked key, clock skew…): one fresh token, one more try.
        this.authRetried = true;
        c.setToken('');
        c.connect();
        return;
      }
      if (!this.options.tokens.failed) this.options.tokens.fail(`realtime connection refused: ${ctx.reason} (${ctx.code})`, { code: ctx.code });
      this.handlers.onState('auth-failed');
    });
    c.on('publication', (ctx) => {
      // Server-side subscription: the personal channel user#<id> (notification.* events).
      this.handlers.onEvent(ctx.data as WireEvent);
    });
  }

  /** Calls an RPC method of the gateway (`send_message`, `typing`, `mark_read`, …). */
  async rpc<T>(method: string, data: unknown): Promise<T> {
    try {
      return (await this.centrifuge.rpc(method, data)).data as T;
    } catch (error) {
      const e = error as { code?: number; message?: string };
      if (typeof e.code === 'number' && e.code >= 400 && e.code < 600 && e.message) {
        try {
          const body = JSON.parse(e.message) as { error: { code: string; message: string; details?: Record<string, unknown>; retry_after?: number } };
          throw new ParleyError({ code: body.error.code, message: body.error.message, status: e.code, details: body.error.details, retryAfter: body.error.retry_after });
        } catch (parsed) {
          if (parsed instanceof ParleyError) throw parsed;
        }
      }
      throw new ParleyError({ code: 'NETWORK_ERROR', message: e.message ?? 'rpc failed', cause: error });
    }
  }
}

/**
 * The gateway's URL for a server base URL.
 *
 * @example
 * websocketUrl('https://chat.example.com'); // 'wss://chat.example.com/connection/websocket'
 */
export function websocketUrl(url: string): string {
  return `${url.replace(/\/+$/, '').replace(/^http/, 'ws')}/connection/websocket`;
}
