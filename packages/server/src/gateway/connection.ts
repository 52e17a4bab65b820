/**
 * One WebSocket client: frames in (parsed, rate-limited, run one command at a time in order),
 * replies and pushes out, server pings and the pong deadline, token expiry, and the clean-up of
 * its subscriptions when it goes. Command handlers live in connect.ts, subscriptions.ts and
 * rpc.ts. See docs/subsystems/realtime.md.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { AuthContext } from '../auth/authenticate.js';
import { findUser } from '../db/users.js';
import type { PresenceInfo } from '../engines/presence.js';
import type { Services } from '../services.js';
import { BadFrame, decodeFrame } from './codec.js';
import { Disconnects, Errors, type DisconnectCode } from './codes.js';
import type { Hub } from './hub.js';
import type { Command, ProtocolError, Push, Reply } from './protocol-types.js';
import type { ChannelSubscription } from './subscriptions.js';

export type UserAuth = Extract<AuthContext, { kind: 'user' }>;

export interface GatewayOptions {
  /** Seconds between server pings (Centrifugo's default: 25). */
  pingIntervalSeconds: number;
  /** How long a pong may take after a ping. */
  pongTimeoutMs: number;
  /** A socket that has not connected successfully by then closes (3502). */
  connectTimeoutMs: number;
  /** Largest accepted frame; a larger one closes the connection (3501). */
  maxFrameBytes: number;
  /** Grace after the token's `exp` for the client's refresh before the connection closes (3005). */
  expiredCloseDelayMs: number;
  maxSubscriptions: number;
  /** Token bucket per connection: sustained rate and burst of commands. */
  commandsPerSecond: number;
  commandBurst: number;
  /** Outgoing bytes buffered for a client that does not read; past this it closes (3008). */
  maxBufferedBytes: number;
  /** How long live delivery waits for an out-of-order publication before reading the event log. */
  gapWaitMs: number;
}

export const DEFAULT_GATEWAY_OPTIONS: GatewayOptions = {
  pingIntervalSeconds: 25,
  pongTimeoutMs: 8_000,
  connectTimeoutMs: 10_000,
  maxFrameBytes: 64 * 1024,
  expiredCloseDelayMs: 25_000,
  maxSubscriptions: 512,
  commandsPerSecond: 50,
  commandBurst: 100,
  maxBufferedBytes: 8 * 1024 * 1024,
  gapWaitMs: 100,
};

/** What a connection needs from the gateway that holds it. */
export interface GatewayContext {
  readonly services: Services;
  readonly hub: Hub;
  readonly options: GatewayOptions;
  readonly log: Logger;
  readonly nodeId: string;
  readonly version: string;
  /** The connection authenticated: index it by app, user and key (control messages). */
  attach(connection: Connection): void;
  detach(connection: Connection): void;
}

/** Runs one command; `frame` numbers the frame it came in (see `connectFailed`). */
export type CommandHandler = (connection: Connection, command: Command, frame: number) => Promise<void>;

/** Thrown by `currentAuth` when the connection was closed because its user is gone. */
export class ConnectionClosed extends Error {}

const MAX_QUEUED = 1_000;

export class Connection {
  readonly clientId = randomUUID();
  auth: UserAuth | null = null;
  /** The api key sent with connect (JWKS tokens); refresh tokens are verified with it too. */
  apiKey: string | undefined;
  /** The channel (cid) the client says it shows (rpc `viewing`), kept in its personal presence entry. */
  viewing: string | null = null;
  /** Client subscriptions by channel name (`chat:…`). */
  readonly subscriptions = new Map<string, ChannelSubscription>();
  /** Runs when the connection closes (personal subscription, presence...). */
  readonly cleanups: Array<() => void> = [];
  /** Resolves when the socket has closed. */
  readonly done: Promise<void>;

  private state: 'new' | 'connected' | 'closed' = 'new';
  /** Any frame received (a connect may be in progress). */
  private heardFrom = false;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private frames = 0;
  /** Commands that arrived in the same frame as a failed connect are dropped. */
  private failedFrame = -1;
  private tokens: number;
  private refilledAt = Date.now();
  private awaitingPong = false;
  /** Created on first use: most connections never hold more than the ping timer (memory per idle connection). */
  private timers: Set<NodeJS.Timeout> | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly gateway: GatewayContext,
    private readonly ws: WebSocket,
    private readonly handle: CommandHandler,
  ) {
    this.tokens = gateway.options.commandBurst;
    // One close listener (not two): an emitter with two keeps an array per socket.
    this.done = new Promise((resolve) =>
      ws.once('close', () => {
        this.shutdown();
        resolve();
      }),
    );
    ws.on('message', (data, isBinary) => {
      this.heardFrom = true;
      this.onMessage(data, isBinary);
    });
    ws.on('error', (error) => gateway.log.debug({ err: error, client: this.clientId }, 'websocket error'));
    // Stale means the client sent nothing: a connect that arrived but waits in an overloaded
    // server must not get 3502, which tells the client never to reconnect.
    this.later(gateway.options.connectTimeoutMs, () => {
      if (this.state === 'new' && !this.heardFrom) this.disconnect(Disconnects.stale);
    });
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  get services(): Services {
    return this.gateway.services;
  }

  get appId(): string {
    return this.auth!.appId;
  }

  get userId(): string {
    return this.auth!.user.id;
  }

  /** The connection's entry under its personal channel (`user#<id>`): who, and what it is viewing. */
  personalInfo(): PresenceInfo {
    const user = this.auth!.user;
    return { user: user.id, conn_info: { name: user.name, image: user.image }, ...(this.viewing !== null ? { chan_info: { viewing: this.viewing } } : {}) };
  }

  /** Marks the connection authenticated (connect.ts). */
  authenticated(auth: UserAuth): void {
    this.auth = auth;
    this.state = 'connected';
    this.gateway.attach(this);
    this.startPings();
  }

  /** Commands after a failed connect in the same frame are dropped, not treated as "connect first". */
  connectFailed(frame: number): void {
    this.failedFrame = frame;
  }

  reply(id: number, result: Record<string, unknown>): void {
    this.write({ id, ...result });
  }

  replyError(id: number, error: ProtocolError): void {
    this.write({ id, error });
  }

  push(push: Push): void {
    this.write({ push });
  }

  /** A push already serialised (shared by every watcher of a channel: shared-frames.ts). */
  pushFrame(frame: Buffer): void {
    this.send(frame);
  }

  /** Closes with a protocol disconnect code; idempotent. */
  disconnect(code: DisconnectCode, reason = code.reason): void {
    if (this.state === 'closed') return;
    this.shutdown();
    try {
      // A close reason is at most 123 bytes.
      this.ws.close(code.code, Buffer.from(reason).subarray(0, 123).toString());
    } catch {
      this.ws.terminate();
    }
    // A client that never answers the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 5_000).unref();
  }

  /** Drops the socket without a close frame (tests use it to simulate a network failure). */
  terminate(): void {
    this.ws.terminate();
  }

  /** The connection's auth with the user row as it is now (role, name); closes if the user is gone. */
  async currentAuth(): Promise<UserAuth> {
    const auth = this.auth!;
    const { authenticator, pool } = this.services;
    const user = authenticator.users.get(`${auth.appId}\u0000${auth.user.id}`) ?? (await findUser(pool, auth.appId, auth.user.id));
    if (!user || user.deactivated_at || user.deleted_at) {
      this.disconnect(Disconnects.forceNoReconnect, 'user deactivated');
      throw new ConnectionClosed();
    }
    if (this.state === 'closed') throw new ConnectionClosed();
    this.auth = { ...auth, user };
    return this.auth;
  }

  /** Token expiry: the client refreshes before `exp`; past `exp` plus a grace the connection closes. */
  scheduleExpiry(exp: number | undefined): void {
    if (this.expiryTimer) this.clearTimer(this.expiryTimer);
    this.expiryTimer = null;
    if (exp === undefined) return;
    const delay = Math.max(0, exp * 1000 - Date.now()) + this.gateway.options.expiredCloseDelayMs;
    this.expiryTimer = this.later(delay, () => this.disconnect(Disconnects.expired));
  }

  /** A timer cleared when the connection closes. */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers?.delete(timer);
      fn();
    }, ms);
    (this.timers ??= new Set()).add(timer);
    return timer;
  }

  clearTimer(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers?.delete(timer);
  }

  private write(reply: Reply): void {
    if (this.state !== 'closed') this.send(JSON.stringify(reply));
  }

  /** One text frame out, unless the client stopped reading (then 3008, like Centrifugo). */
  private send(data: string | Buffer): void {
    if (this.state === 'closed') return;
    if (this.ws.bufferedAmount > this.gateway.options.maxBufferedBytes) {
      this.disconnect(Disconnects.slow);
      return;
    }
    this.ws.send(data, { binary: false });
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (bytes.length > this.gateway.options.maxFrameBytes) {
      this.disconnect(Disconnects.badRequest, 'frame too large');
      return;
    }
    let commands: Command[];
    try {
      commands = decodeFrame(bytes.toString('utf8'));
    } catch (error) {
      if (!(error instanceof BadFrame)) throw error;
      this.gateway.log.debug({ client: this.clientId, reason: error.message, binary: isBinary }, 'bad frame');
      this.disconnect(Disconnects.badRequest, `bad request: ${error.message}`);
      return;
    }
    const frame = ++this.frames;
    for (const command of commands) {
      if (command.kind === 'pong') {
        this.onPong();
        continue;
      }
      if (command.kind === 'send') continue;
      if (++this.queued > MAX_QUEUED) {
        this.disconnect(Disconnects.badRequest, 'too many commands in flight');
        return;
      }
      const allowed = this.takeToken();
      this.queue = this.queue.then(() => this.run(command, frame, allowed));
    }
  }

  private async run(command: Command, frame: number, allowed: boolean): Promise<void> {
    this.queued--;
    if (this.state === 'closed') return;
    if (this.state === 'new' && command.kind !== 'connect') {
      if (frame !== this.failedFrame) this.disconnect(Disconnects.badRequest, 'connect first');
      return;
    }
    if (this.state === 'connected' && command.kind === 'connect') {
      this.disconnect(Disconnects.badRequest, 'already connected');
      return;
    }
    if (!allowed) {
      this.replyError(command.id, Errors.tooManyRequests);
      return;
    }
    try {
      await this.handle(this, command, frame);
    } catch (error) {
      if (error instanceof ConnectionClosed || this.closed) return;
      this.gateway.log.error({ err: error, client: this.clientId, command: command.kind }, 'gateway command failed');
      this.replyError(command.id, Errors.internal);
    }
  }

  private takeToken(): boolean {
    const { commandsPerSecond, commandBurst } = this.gateway.options;
    const now = Date.now();
    this.tokens = Math.min(commandBurst, this.tokens + ((now - this.refilledAt) / 1000) * commandsPerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private startPings(): void {
    const interval = this.gateway.options.pingIntervalSeconds * 1000;
    this.pingTimer = setInterval(() => {
      if (this.state !== 'connected') return;
      this.write({});
      this.awaitingPong = true;
      if (this.pongTimer) this.clearTimer(this.pongTimer);
      this.pongTimer = this.later(Math.min(this.gateway.options.pongTimeoutMs, interval), () => {
        if (this.awaitingPong) this.disconnect(Disconnects.noPong);
      });
    }, interval);
  }

  private onPong(): void {
    this.awaitingPong = false;
    if (this.pongTimer) this.clearTimer(this.pongTimer);
    this.pongTimer = null;
  }

  /** Stops everything the connection holds: timers, subscriptions, registry entries. */
  private shutdown(): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const timer of this.timers ?? []) clearTimeout(timer);
    this.timers = null;
    for (const subscription of [...this.subscriptions.values()]) subscription.end(null);
    this.subscriptions.clear();
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        cleanup();
      } catch (error) {
        this.gateway.log.warn({ err: error }, 'connection clean-up failed');
      }
    }
    if (wasConnected) this.gateway.detach(this);
  }
}
