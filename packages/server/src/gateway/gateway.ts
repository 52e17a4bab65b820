/**
 * The WebSocket gateway: `GET /connection/websocket` on the API's port, speaking Centrifugo's
 * bidirectional client protocol (JSON), so the `centrifuge` npm client connects unchanged.
 * Holds this node's connections, indexed for control messages, and closes them on shutdown with a
 * reconnect code. See docs/subsystems/realtime.md.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BrokerMessage } from '../engines/broker.js';
import { controlTopic } from '../events/control.js';
import type { Services } from '../services.js';
import { Disconnects, Errors } from './codes.js';
import { connect, refresh } from './connect.js';
import { Connection, DEFAULT_GATEWAY_OPTIONS, type CommandHandler, type GatewayContext, type GatewayOptions } from './connection.js';
import { Hub, type Listener } from './hub.js';
import { rpc } from './rpc.js';
import { channelHistory, presence, subscribe, unsubscribe } from './subscriptions.js';

export const WEBSOCKET_PATH = '/connection/websocket';
const VERSION = 'parley 0.1.0';

const handle: CommandHandler = async (connection, command, frame) => {
  switch (command.kind) {
    case 'connect':
      return connect(connection, command.id, command.body, frame);
    case 'refresh':
      return refresh(connection, command.id, command.body.token);
    case 'subscribe':
      return subscribe(connection, command.id, command.body);
    case 'unsubscribe':
      return unsubscribe(connection, command.id, command.body.channel);
    case 'presence':
    case 'presence_stats':
      return presence(connection, command);
    case 'history':
      return channelHistory(connection, command.id, command.body);
    case 'rpc':
      return rpc(connection, command.id, command.body);
    case 'ping':
      connection.reply(command.id, { ping: {} });
      return;
    case 'publish':
      // Clients write through rpc (send_message...), which authorizes and logs; never raw publish.
      connection.replyError(command.id, Errors.permissionDenied);
      return;
    case 'sub_refresh':
      // Subscriptions carry no tokens of their own: nothing to refresh.
      connection.replyError(command.id, Errors.notAvailable);
      return;
    default:
      return;
  }
};

export class Gateway implements GatewayContext {
  readonly hub: Hub;
  readonly nodeId = randomUUID().slice(0, 8);
  readonly version = VERSION;
  readonly options: GatewayOptions;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly byUser = new Map<string, Set<Connection>>();
  /** Control topic listeners of the apps that have connections here. */
  private readonly apps = new Map<string, { count: number; listener: Listener }>();
  private readonly stopReconnects: () => void;
  private closing: Promise<void> | null = null;

  constructor(
    readonly services: Services,
    options: Partial<GatewayOptions> = {},
    readonly log: Logger = services.log,
  ) {
    this.options = { ...DEFAULT_GATEWAY_OPTIONS, ...options };
    this.hub = new Hub(services.broker);
    // ws refuses frames beyond maxPayload itself (close 1009); up to that, a frame larger than
    // maxFrameBytes is refused by the connection with 3501.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.options.maxFrameBytes * 4, perMessageDeflate: false });
    // Publications from other nodes may have been lost while the broker reconnected: every live
    // subscription reads what the log has past its position.
    this.stopReconnects = services.broker.onReconnect(() => {
      for (const connection of this.connections) for (const subscription of connection.subscriptions.values()) subscription.catchUp();
    });
  }

  /** Takes the HTTP server's upgrade requests for WEBSOCKET_PATH. */
  listen(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
  }

  /** This node's open connections (tests, metrics). */
  list(): Connection[] {
    return [...this.connections];
  }

  attach(connection: Connection): void {
    const key = userKey(connection.appId, connection.userId);
    let set = this.byUser.get(key);
    if (!set) this.byUser.set(key, (set = new Set()));
    set.add(connection);
    const app = this.apps.get(connection.appId);
    if (app) app.count++;
    else {
      const listener: Listener = (message) => this.control(message);
      this.apps.set(connection.appId, { count: 1, listener });
      void this.hub.add(controlTopic(connection.appId), listener);
    }
  }

  detach(connection: Connection): void {
    const key = userKey(connection.appId, connection.userId);
    const set = this.byUser.get(key);
    set?.delete(connection);
    if (set?.size === 0) this.byUser.delete(key);
    const app = this.apps.get(connection.appId);
    if (app && --app.count === 0) {
      this.apps.delete(connection.appId);
      this.hub.remove(controlTopic(connection.appId), app.listener);
    }
  }

  /** Closes every connection with 3001 (the clients reconnect, to another node if this one is gone). */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.stopReconnects();
      const open = [...this.connections];
      for (const connection of open) connection.disconnect(Disconnects.shutdown);
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
      await Promise.race([Promise.all(open.map((c) => c.done)), deadline]);
      for (const connection of this.connections) connection.terminate();
      this.hub.clear();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    })());
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?')[0];
    if (path !== WEBSOCKET_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      const connection = new Connection(this, ws, handle);
      this.connections.add(connection);
      void connection.done.then(() => this.connections.delete(connection));
    });
  }

  private control(message: BrokerMessage): void {
    const event = message.event;
    if (event.type === 'control.user_disabled' && typeof event.user_id === 'string') {
      const reason = event.reason === 'deleted' ? 'user deleted' : 'user deactivated';
      this.services.authenticator.forgetUser(message.appId, event.user_id);
      for (const connection of [...(this.byUser.get(userKey(message.appId, event.user_id)) ?? [])]) connection.disconnect(Disconnects.forceNoReconnect, reason);
    } else if (event.type === 'control.access_changed') {
      this.accessChanged(message.appId, event.channel_type, event.user_ids);
    } else if (event.type === 'control.key_deleted' && typeof event.key_id === 'string') {
      this.services.keys.forget(event.key_id);
      for (const connection of [...this.connections]) {
        if (connection.connected && connection.appId === message.appId && connection.auth?.keyId === event.key_id) connection.disconnect(Disconnects.invalidToken, 'token revoked');
      }
    }
  }

  /** Grants or roles changed: the affected subscriptions check read access again. */
  private accessChanged(appId: string, channelType: unknown, userIds: unknown): void {
    if (typeof channelType === 'string') {
      this.services.channelTypes.delete(`${appId}/${channelType}`);
      for (const connection of this.connections) {
        if (!connection.connected || connection.appId !== appId) continue;
        for (const subscription of connection.subscriptions.values()) if (subscription.channel.type === channelType) subscription.revalidate();
      }
    }
    if (Array.isArray(userIds)) {
      for (const userId of userIds) {
        if (typeof userId !== 'string') continue;
        this.services.authenticator.forgetUser(appId, userId);
        for (const connection of this.byUser.get(userKey(appId, userId)) ?? []) {
          for (const subscription of connection.subscriptions.values()) subscription.revalidate();
        }
      }
    }
  }
}

function userKey(appId: string, userId: string): string {
  return `${appId}\u0000${userId}`;
}
