/**
 * The insecure compatibility gateway, like Centrifugo's `client.insecure`: a second listener
 * (`PARLEY_INSECURE_GATEWAY_PORT`) serving only `/connection/websocket`, where anyone connects
 * anonymously and may subscribe, publish, read history and presence on ANY channel. Its channels
 * live in this process's memory and have nothing to do with Parley's apps, channels or tables.
 * It exists to run Centrifugo client SDK test suites (and quick experiments) against Parley's
 * protocol implementation; it is refused when NODE_ENV=production. See
 * docs/subsystems/realtime.md "Insecure compatibility gateway".
 *
 * It reuses the real gateway's Connection (framing, command queue, rate limit, pings, limits), with
 * its own command handler; nothing of the secure gateway's authorization is involved.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BrokerMessage } from '../engines/broker.js';
import { MemoryBroker } from '../engines/broker-memory.js';
import type { Services } from '../services.js';
import { Disconnects, Errors } from './codes.js';
import { Connection, DEFAULT_GATEWAY_OPTIONS, type CommandHandler, type GatewayContext, type GatewayOptions, type UserAuth } from './connection.js';
import { WEBSOCKET_PATH } from './gateway.js';
import { Hub, type Listener } from './hub.js';
import type { ClientInfo, HistoryRequest, Publication, SubscribeRequest, SubscribeResult } from './protocol-types.js';

/** Subscribe flag: fail with 112 instead of replying `recovered: false` (the client's getState mode). */
const REJECT_UNRECOVERED = 2;
const VERSION = 'parley 0.1.0 (insecure)';

export interface InsecureHistory {
  /** Publications kept per channel; 0 turns history and recovery off. */
  historySize: number;
  historyTtlSeconds: number;
}

export interface InsecureGatewayOptions extends InsecureHistory {
  pingIntervalSeconds: number;
  /** Per-namespace overrides (`<namespace>:<rest>` channels), like Centrifugo's channel namespaces. */
  namespaces: Record<string, Partial<InsecureHistory>>;
}

export const DEFAULT_INSECURE_OPTIONS: InsecureGatewayOptions = { historySize: 100, historyTtlSeconds: 300, pingIntervalSeconds: 25, namespaces: {} };

interface Entry {
  offset: number;
  data: unknown;
  info: ClientInfo;
  expiresAt: number;
}

/** A channel's stream: epoch, top offset, the publications still kept. */
interface Stream {
  epoch: string;
  offset: number;
  entries: Entry[];
  touchedAt: number;
}

type InsecurePublication = Publication & { info?: ClientInfo };

/** What travels on the in-memory hub for one channel. */
type ChannelEvent = { type: 'pub'; pub: InsecurePublication } | { type: 'join' | 'leave'; info: ClientInfo };

interface Subscription {
  listener: Listener;
  info: ClientInfo;
}

export class InsecureGateway implements GatewayContext {
  readonly hub: Hub;
  readonly nodeId = randomUUID().slice(0, 8);
  readonly version = VERSION;
  readonly options: GatewayOptions;
  private readonly settings: InsecureGatewayOptions;
  private readonly wss: WebSocketServer;
  private readonly server: http.Server;
  private readonly connections = new Set<Connection>();
  /** In-process fan-out of this listener's channels (the hub holds one subscription per channel). */
  private readonly memory = new MemoryBroker();
  private readonly subscriptions = new WeakMap<Connection, Map<string, Subscription>>();
  private readonly streams = new Map<string, Stream>();
  private readonly presenceByChannel = new Map<string, Map<string, ClientInfo>>();
  private readonly sweeper: NodeJS.Timeout;
  private closing: Promise<void> | null = null;

  constructor(
    readonly services: Services,
    options: Partial<InsecureGatewayOptions> = {},
    readonly log: Logger = services.log,
  ) {
    this.settings = { ...DEFAULT_INSECURE_OPTIONS, ...options };
    this.options = { ...DEFAULT_GATEWAY_OPTIONS, pingIntervalSeconds: this.settings.pingIntervalSeconds };
    this.hub = new Hub(this.memory);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.options.maxFrameBytes * 4, perMessageDeflate: false });
    this.server = http.createServer((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`insecure gateway: only ${WEBSOCKET_PATH}\n`);
    });
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
    this.sweeper = setInterval(() => this.sweep(), 30_000).unref();
  }

  /** Listens on `port` (0: a free one); resolves to the port. */
  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const bound = (this.server.address() as AddressInfo).port;
    this.log.warn({ port: bound }, 'INSECURE gateway listening: anonymous clients may subscribe, publish and read presence on any channel (in-memory, not Parley data); never expose it');
    return bound;
  }

  /** This listener's open connections (tests). */
  list(): Connection[] {
    return [...this.connections];
  }

  attach(): void {}

  detach(): void {}

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      clearInterval(this.sweeper);
      const open = [...this.connections];
      for (const connection of open) connection.disconnect(Disconnects.shutdown);
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
      await Promise.race([Promise.all(open.map((c) => c.done)), deadline]);
      for (const connection of this.connections) connection.terminate();
      this.hub.clear();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
    })());
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?')[0];
    if (path !== WEBSOCKET_PATH || this.closing) {
      socket.end(`HTTP/1.1 ${this.closing ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      const connection = new Connection(this, ws, this.handle);
      this.connections.add(connection);
      void connection.done.then(() => this.connections.delete(connection));
    });
  }

  private readonly handle: CommandHandler = async (connection, command) => {
    switch (command.kind) {
      case 'connect':
        return this.connect(connection, command.id);
      case 'refresh':
        connection.reply(command.id, { refresh: { client: connection.clientId, version: this.version, expires: false } });
        return;
      case 'subscribe':
        return this.subscribe(connection, command.id, command.body);
      case 'unsubscribe':
        this.unsubscribe(connection, command.body.channel);
        connection.reply(command.id, { unsubscribe: {} });
        return;
      case 'publish':
        this.publish(command.body.channel, command.body.data ?? null, this.infoOf(connection));
        connection.reply(command.id, { publish: {} });
        return;
      case 'presence':
        connection.reply(command.id, { presence: { presence: Object.fromEntries(this.presenceByChannel.get(command.body.channel) ?? []) } });
        return;
      case 'presence_stats':
        connection.reply(command.id, { presence_stats: this.stats(command.body.channel) });
        return;
      case 'history':
        return this.history(connection, command.id, command.body);
      case 'ping':
        connection.reply(command.id, { ping: {} });
        return;
      case 'rpc':
        // No RPC handler here (Centrifugo without an RPC proxy answers the same).
        connection.replyError(command.id, Errors.notAvailable);
        return;
      case 'sub_refresh':
        connection.reply(command.id, { sub_refresh: { expires: false } });
        return;
      default:
        return;
    }
  };

  private connect(connection: Connection, id: number): void {
    // Anonymous: any token is ignored. The connection is given an empty user (Centrifugo's
    // anonymous user id is ""); nothing reads it but this gateway.
    connection.authenticated({ kind: 'user', appId: '', user: { id: '' } } as unknown as UserAuth);
    this.subscriptions.set(connection, new Map());
    connection.cleanups.push(() => {
      for (const channel of [...(this.subscriptions.get(connection)?.keys() ?? [])]) this.unsubscribe(connection, channel);
    });
    connection.reply(id, { connect: { client: connection.clientId, version: this.version, ping: this.options.pingIntervalSeconds, pong: true, node: this.nodeId } });
  }

  private infoOf(connection: Connection): ClientInfo {
    return { client: connection.clientId, user: '' };
  }

  private historyOf(channel: string): InsecureHistory {
    const colon = channel.indexOf(':');
    const namespace = colon > 0 ? this.settings.namespaces[channel.slice(0, colon)] : undefined;
    return { historySize: namespace?.historySize ?? this.settings.historySize, historyTtlSeconds: namespace?.historyTtlSeconds ?? this.settings.historyTtlSeconds };
  }

  /** The channel's stream with expired publications dropped (created on first use). */
  private stream(channel: string): Stream {
    const now = Date.now();
    let stream = this.streams.get(channel);
    if (!stream) {
      stream = { epoch: randomBytes(4).toString('hex'), offset: 0, entries: [], touchedAt: now };
      this.streams.set(channel, stream);
    }
    stream.touchedAt = now;
    while (stream.entries.length > 0 && stream.entries[0]!.expiresAt <= now) stream.entries.shift();
    return stream;
  }

  private publish(channel: string, data: unknown, info: ClientInfo): void {
    const { historySize, historyTtlSeconds } = this.historyOf(channel);
    let offset: number | undefined;
    if (historySize > 0) {
      const stream = this.stream(channel);
      offset = ++stream.offset;
      stream.entries.push({ offset, data, info, expiresAt: Date.now() + historyTtlSeconds * 1000 });
      if (stream.entries.length > historySize) stream.entries.splice(0, stream.entries.length - historySize);
    }
    const pub: InsecurePublication = offset === undefined ? { data, info } : { data, offset, info };
    this.emit(channel, { type: 'pub', pub });
  }

  /** Delivers to the channel's subscribers on this listener (in-process, synchronously). */
  private emit(channel: string, event: ChannelEvent): void {
    const message: BrokerMessage = { appId: '', event: event as unknown as BrokerMessage['event'] };
    this.memory.publish(channel, message).catch((error: unknown) => this.log.warn({ err: error, channel }, 'insecure publish failed'));
  }

  private subscribe(connection: Connection, id: number, body: SubscribeRequest): void {
    const channel = body.channel;
    const subs = this.subscriptions.get(connection)!;
    if (subs.has(channel)) {
      connection.replyError(id, Errors.alreadySubscribed);
      return;
    }
    if (subs.size >= this.options.maxSubscriptions) {
      connection.replyError(id, Errors.limitExceeded);
      return;
    }
    const { historySize } = this.historyOf(channel);
    const result: SubscribeResult = {};
    if (historySize > 0) {
      const stream = this.stream(channel);
      Object.assign(result, { recoverable: true, positioned: true, epoch: stream.epoch, offset: stream.offset });
      if (body.recover) {
        const publications = this.recover(stream, body.offset ?? 0, body.epoch ?? '');
        if (!publications && ((body.flag ?? 0) & REJECT_UNRECOVERED) !== 0) {
          connection.replyError(id, Errors.unrecoverablePosition);
          return;
        }
        result.was_recovering = true;
        result.recovered = publications !== null;
        if (publications) {
          // As Centrifuge does: a recovered reply carries the position recovered FROM, and each
          // recovered publication the client delivers moves it; a handler that unsubscribes
          // half-way then resubscribes from what it really got.
          result.offset = body.offset ?? 0;
          if (publications.length > 0) result.publications = publications;
        }
      }
    }
    // Everything here is synchronous: no publication can fall between the reply's position and
    // the first live one.
    const info = this.infoOf(connection);
    const joinLeave = body.join_leave === true;
    const listener: Listener = (message) => {
      const event = message.event as unknown as ChannelEvent;
      if (event.type === 'pub') connection.push({ channel, pub: event.pub });
      else if (joinLeave) connection.push(event.type === 'join' ? { channel, join: { info: event.info } } : { channel, leave: { info: event.info } });
    };
    subs.set(channel, { listener, info });
    void this.hub.add(channel, listener);
    connection.reply(id, { subscribe: result });
    let present = this.presenceByChannel.get(channel);
    if (!present) this.presenceByChannel.set(channel, (present = new Map()));
    present.set(connection.clientId, info);
    this.emit(channel, { type: 'join', info });
  }

  /** Publications after `offset`, or null when they are not all kept (or the epoch changed). */
  private recover(stream: Stream, offset: number, epoch: string): InsecurePublication[] | null {
    if (epoch !== '' && epoch !== stream.epoch) return null;
    if (offset > stream.offset) return null;
    if (offset === stream.offset) return [];
    const first = stream.entries[0];
    if (!first || first.offset > offset + 1) return null;
    return stream.entries.filter((e) => e.offset > offset).map((e) => ({ data: e.data, offset: e.offset, info: e.info }));
  }

  private unsubscribe(connection: Connection, channel: string): void {
    const subs = this.subscriptions.get(connection);
    const sub = subs?.get(channel);
    if (!sub) return;
    subs!.delete(channel);
    this.hub.remove(channel, sub.listener);
    const present = this.presenceByChannel.get(channel);
    present?.delete(connection.clientId);
    if (present?.size === 0) this.presenceByChannel.delete(channel);
    this.emit(channel, { type: 'leave', info: sub.info });
  }

  private stats(channel: string): { num_clients: number; num_users: number } {
    const present = this.presenceByChannel.get(channel);
    if (!present) return { num_clients: 0, num_users: 0 };
    return { num_clients: present.size, num_users: new Set([...present.values()].map((i) => i.user)).size };
  }

  private history(connection: Connection, id: number, body: HistoryRequest): void {
    const { historySize } = this.historyOf(body.channel);
    if (historySize === 0) {
      connection.replyError(id, Errors.notAvailable);
      return;
    }
    const stream = this.stream(body.channel);
    const since = body.since;
    if (since?.epoch && since.epoch !== stream.epoch) {
      connection.replyError(id, Errors.unrecoverablePosition);
      return;
    }
    const requested = body.limit ?? 0;
    const limit = requested < 0 ? Number.MAX_SAFE_INTEGER : requested;
    let entries = stream.entries;
    if (body.reverse) {
      const before = since?.offset !== undefined ? since.offset : stream.offset + 1;
      entries = entries.filter((e) => e.offset < before).reverse();
    } else if (since?.offset !== undefined) {
      entries = entries.filter((e) => e.offset > since.offset!);
    }
    const publications = entries.slice(0, limit).map((e) => ({ data: e.data, offset: e.offset, info: e.info }));
    connection.reply(id, { history: { publications, epoch: stream.epoch, offset: stream.offset } });
  }

  /** Forgets streams untouched for longer than their TTL with no one subscribed. */
  private sweep(): void {
    const now = Date.now();
    for (const [channel, stream] of this.streams) {
      const ttl = this.historyOf(channel).historyTtlSeconds * 1000;
      if (now - stream.touchedAt > ttl && !this.presenceByChannel.has(channel)) this.streams.delete(channel);
    }
  }
}

