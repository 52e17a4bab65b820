/**
 * Channel subscriptions (`chat:<type>:<id>`): authorization, the subscribe reply with its stream
 * position and recovered publications, then live delivery in seq order, exactly once, for as long
 * as the user may read the channel. See docs/subsystems/realtime.md "Subscriptions".
 *
 * Live delivery keeps a position (the last offset given to the client):
 * - publications at or below it are duplicates and dropped;
 * - one beyond a gap waits (`ahead`) for the missing ones: two writers of a channel commit in seq
 *   order but may publish in either order. If the gap is not closed within `gapWaitMs`, it is read
 *   from the event log (which has every committed event), so nothing is skipped;
 * - while the subscription is starting (access check, recovery) or re-checking access, arrivals
 *   are held and then replayed through the same rules.
 */
import { accessChannel } from '../actions/access.js';
import { channelTopic, type BrokerMessage } from '../engines/broker.js';
import type { ClientInfo } from '../engines/presence.js';
import { ApiError } from '../errors.js';
import { parseChatChannel, isPersonalChannel, type ChatChannel } from './channel-names.js';
import { Errors, Unsubscribes, type DisconnectCode } from './codes.js';
import { ConnectionClosed, type Connection } from './connection.js';
import type { Listener } from './hub.js';
import { hiddenFrame, publicationFrame } from './shared-frames.js';
import type { Command, HistoryRequest, SubscribeRequest, SubscribeResult } from './protocol-types.js';
import { history, positionOf, readStream, recover, RECOVERY_WINDOW, UnrecoverablePosition } from './recovery.js';

/** Subscribe flag: fail with 112 instead of replying `recovered: false`. */
const REJECT_UNRECOVERED = 2;

/** Never written to: `ahead` is replaced by a map of its own before the first entry. */
const NO_GAP = new Map<number, BrokerMessage>();

/** Join and leave travel on the channel's topic as these internal event types. */
const JOIN = 'gateway.join';
const LEAVE = 'gateway.leave';

/** The user whose access to the channel an event may end: a removed member, a banned user. */
function endsAccessOf(event: BrokerMessage['event']): string | undefined {
  if (event.type === 'member.removed') return (event.member as { user_id?: string } | undefined)?.user_id;
  if (event.type === 'user.banned') return (event.target_user as { id?: string } | undefined)?.id;
  return undefined;
}

export class ChannelSubscription {
  readonly name: string;
  readonly topic: string;
  presence = false;

  private state: 'starting' | 'live' | 'paused' | 'ended' = 'starting';
  private position = 0;
  /** Arrivals while starting or paused, replayed in arrival order. */
  private held: BrokerMessage[] = [];
  /** Live arrivals beyond a gap, by offset (shared empty map until a gap: memory per idle subscription). */
  private ahead: Map<number, BrokerMessage> = NO_GAP;
  private gapTimer: NodeJS.Timeout | null = null;
  private filling = false;
  /** Access was confirmed after every event up to this offset (a member.removed there is settled). */
  private cleared = 0;
  private recheck = false;
  private readonly listener: Listener = (message) => this.receive(message);

  constructor(
    private readonly connection: Connection,
    readonly channel: ChatChannel,
    private readonly joinLeave: boolean,
  ) {
    this.name = `chat:${channel.type}:${channel.id}`;
    this.topic = channelTopic(connection.appId, channel.type, channel.id);
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Started and delivering (not starting, re-checking access or ended). */
  get live(): boolean {
    return this.state === 'live';
  }

  /** Starts listening (arrivals are held); resolves once publications from every node arrive. */
  listen(): Promise<void> {
    return this.connection.gateway.hub.add(this.topic, this.listener);
  }

  /** Goes live at `position` (the subscribe reply's offset): held publications after it follow. */
  start(position: number): void {
    if (this.state !== 'starting') return;
    this.position = position;
    this.cleared = position;
    this.resume();
    if (this.presence && !this.ended) {
      const { presence, broker } = this.connection.services;
      const { client, ...info } = this.info();
      presence.add(this.connection.appId, this.name, client, info).catch((error) => this.connection.gateway.log.warn({ err: error }, 'presence add failed'));
      broker.publish(this.topic, { appId: this.connection.appId, event: { type: JOIN, info: this.info() } }).catch(() => {});
    }
  }

  /** Ends the subscription; with a code the client is told (server unsubscribe push). */
  end(code: DisconnectCode | null): void {
    if (this.state === 'ended') return;
    const started = this.state !== 'starting';
    this.state = 'ended';
    this.clearGapTimer();
    this.held = [];
    this.ahead = NO_GAP;
    const { connection } = this;
    connection.gateway.hub.remove(this.topic, this.listener);
    if (connection.subscriptions.get(this.name) === this) connection.subscriptions.delete(this.name);
    if (code) connection.push({ channel: this.name, unsubscribe: { code: code.code, reason: code.reason } });
    if (started && this.presence) {
      const { presence, broker } = connection.services;
      presence.remove(connection.appId, this.name, connection.clientId).catch(() => {});
      broker.publish(this.topic, { appId: connection.appId, event: { type: LEAVE, info: this.info() } }).catch(() => {});
    }
  }

  /** Re-checks that the user may still read the channel (e.g. notification.removed_from_channel). */
  revalidate(): void {
    if (this.state === 'ended') return;
    if (this.state !== 'live') {
      this.recheck = true;
      return;
    }
    this.pause();
  }

  /** After a broker reconnect: publications may have been lost, read what the log has past the position. */
  catchUp(): void {
    if (this.state === 'live') void this.fill(Number.MAX_SAFE_INTEGER);
  }

  private info(): ClientInfo {
    const user = this.connection.auth!.user;
    return { client: this.connection.clientId, user: user.id, conn_info: { name: user.name, image: user.image } };
  }

  private receive(message: BrokerMessage): void {
    if (this.state === 'ended') return;
    const type = message.event.type;
    if (type === JOIN || type === LEAVE) {
      if (this.state === 'live' && this.joinLeave && message.event.info) {
        const info = message.event.info as ClientInfo;
        this.connection.push(type === JOIN ? { channel: this.name, join: { info } } : { channel: this.name, leave: { info } });
      }
      return;
    }
    if (this.state !== 'live') {
      // Ephemeral events (typing) are not worth holding.
      if (message.offset !== undefined) this.held.push(message);
      return;
    }
    this.deliver(message);
  }

  private deliver(message: BrokerMessage): void {
    const offset = message.offset;
    if (offset === undefined) {
      this.connection.pushFrame(publicationFrame(this.name, message));
      return;
    }
    if (offset <= this.position) return;
    if (offset > this.position + 1) {
      this.holdAhead(offset, message);
      return;
    }
    this.emit(message);
    for (let next = this.ahead.get(this.position + 1); next && this.state === 'live'; next = this.ahead.get(this.position + 1)) {
      this.ahead.delete(this.position + 1);
      this.emit(next);
    }
    if (this.ahead.size === 0) {
      this.ahead = NO_GAP;
      this.clearGapTimer();
    }
  }

  /** Gives the next publication to the client, unless it may end the user's access. */
  private emit(message: BrokerMessage): void {
    const offset = message.offset!;
    const event = message.event;
    if (offset > this.cleared && endsAccessOf(event) === this.connection.userId) {
      // Held, not delivered, until access is known: a removed member (or a banned watcher who was
      // never a member) gets nothing more of the channel.
      this.held.push(message);
      this.pause();
      return;
    }
    this.position = offset;
    // Another user's shadowed message (or its events): its position, nothing else.
    const hidden = message.visibleTo !== undefined && message.visibleTo !== this.connection.userId;
    this.connection.pushFrame(hidden ? hiddenFrame(this.name, message) : publicationFrame(this.name, message));
    if (event.type === 'channel.deleted') this.end(Unsubscribes.channelDeleted);
  }

  private holdAhead(offset: number, message: BrokerMessage): void {
    if (this.ahead === NO_GAP) this.ahead = new Map();
    this.ahead.set(offset, message);
    if (this.ahead.size > RECOVERY_WINDOW) this.end(Unsubscribes.insufficientState);
    else this.scheduleFill();
  }

  /** Gives a gap `gapWaitMs` to close by itself, then reads it from the log. */
  private scheduleFill(): void {
    if (this.gapTimer || this.filling) return;
    this.gapTimer = this.connection.later(this.connection.gateway.options.gapWaitMs, () => {
      this.gapTimer = null;
      if (this.ahead.size > 0) void this.fill(Math.max(...this.ahead.keys()));
    });
  }

  /** Reads the log after the position (up to `upto`) and delivers it through the usual rules. */
  private async fill(upto: number): Promise<void> {
    if (this.state !== 'live' || this.filling) return;
    this.filling = true;
    const { connection } = this;
    let failed: boolean;
    try {
      const publications = await readStream(connection.services, { appId: connection.appId, ...this.channel }, this.position, upto, RECOVERY_WINDOW);
      for (const p of publications) this.receive({ appId: connection.appId, event: p.data as BrokerMessage['event'], offset: p.offset, visibleTo: p.visibleTo });
      // The log holds every committed event: a gap it cannot close (pruned) or a catch-up longer
      // than the window ends the subscription; the client resubscribes and recovers (or reloads).
      failed = upto === Number.MAX_SAFE_INTEGER ? publications.length === RECOVERY_WINDOW : this.state === 'live' && this.position < upto;
    } catch (error) {
      connection.gateway.log.warn({ err: error, channel: this.name }, 'gap fill failed');
      failed = true;
    } finally {
      this.filling = false;
    }
    if (failed) this.end(Unsubscribes.insufficientState);
    else if (this.state === 'live' && this.ahead.size > 0) this.scheduleFill();
  }

  private clearGapTimer(): void {
    if (this.gapTimer) this.connection.clearTimer(this.gapTimer);
    this.gapTimer = null;
  }

  /** Stops delivery, re-checks access, then goes on (or ends with an unsubscribe push). */
  private pause(): void {
    if (this.state !== 'live') return;
    this.state = 'paused';
    this.clearGapTimer();
    // Beyond-the-gap arrivals go back to the held list: they are replayed after the check.
    const ahead = [...this.ahead.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
    this.ahead = NO_GAP;
    this.held.push(...ahead);
    void this.check();
  }

  private async check(): Promise<void> {
    const { connection } = this;
    const seen = this.held.reduce((top, m) => Math.max(top, m.offset ?? 0), this.position);
    this.recheck = false;
    let readable: boolean;
    try {
      const auth = await connection.currentAuth();
      await accessChannel(connection.services, connection.services.pool, auth, this.channel.type, this.channel.id);
      readable = true;
    } catch (error) {
      if (error instanceof ConnectionClosed) return;
      if (!(error instanceof ApiError && error.code === 'NOT_FOUND')) {
        connection.gateway.log.warn({ err: error, channel: this.name }, 'access re-check failed');
        this.end(Unsubscribes.insufficientState);
        return;
      }
      readable = false;
    }
    if (this.state !== 'paused') return;
    if (!readable) {
      this.end(Unsubscribes.accessLost);
      return;
    }
    this.cleared = Math.max(this.cleared, seen);
    this.resume();
  }

  private resume(): void {
    this.state = 'live';
    const held = this.held;
    this.held = [];
    for (const message of held) {
      if (this.state !== 'live') {
        if (this.state === 'paused' && message.offset !== undefined) this.held.push(message);
        continue;
      }
      this.deliver(message);
    }
    if (this.recheck && this.state === 'live') this.pause();
  }
}

async function readableChannel(connection: Connection, id: number, name: string) {
  const channel = parseChatChannel(name);
  if (!channel) {
    connection.replyError(id, isPersonalChannel(name) ? Errors.permissionDenied : Errors.unknownChannel);
    return null;
  }
  const auth = await connection.currentAuth();
  try {
    return await accessChannel(connection.services, connection.services.pool, auth, channel.type, channel.id);
  } catch (error) {
    // Missing and forbidden look the same.
    if (error instanceof ApiError && error.code === 'NOT_FOUND') {
      connection.replyError(id, Errors.permissionDenied);
      return null;
    }
    throw error;
  }
}

export async function subscribe(connection: Connection, id: number, body: SubscribeRequest): Promise<void> {
  const channel = parseChatChannel(body.channel);
  if (!channel) {
    connection.replyError(id, isPersonalChannel(body.channel) ? Errors.permissionDenied : Errors.unknownChannel);
    return;
  }
  if (connection.subscriptions.has(body.channel)) {
    connection.replyError(id, Errors.alreadySubscribed);
    return;
  }
  if (connection.subscriptions.size >= connection.gateway.options.maxSubscriptions) {
    connection.replyError(id, Errors.limitExceeded);
    return;
  }
  const auth = await connection.currentAuth();
  const subscription = new ChannelSubscription(connection, channel, body.join_leave === true);
  connection.subscriptions.set(subscription.name, subscription);
  try {
    // Listen first, read the log second: whatever commits in between arrives both ways and is
    // delivered once (by offset).
    await subscription.listen();
    let context;
    try {
      context = await accessChannel(connection.services, connection.services.pool, auth, channel.type, channel.id);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'NOT_FOUND')) throw error;
      subscription.end(null);
      connection.replyError(id, Errors.permissionDenied);
      return;
    }
    subscription.presence = context.channelType.config.presence;
    const position = positionOf(context.channel);
    const result: SubscribeResult = { recoverable: true, positioned: true, epoch: position.epoch, offset: position.offset };
    if (body.recover) {
      const recovery = await recover(connection.services, connection.appId, context.channel, { offset: body.offset, epoch: body.epoch }, connection.userId);
      if (!recovery.recovered && ((body.flag ?? 0) & REJECT_UNRECOVERED) !== 0) {
        subscription.end(null);
        connection.replyError(id, Errors.unrecoverablePosition);
        return;
      }
      result.was_recovering = true;
      result.recovered = recovery.recovered;
      if (recovery.publications.length > 0) result.publications = recovery.publications;
    }
    if (connection.closed || connection.subscriptions.get(subscription.name) !== subscription) return;
    // Reply, then go live, with nothing in between: held publications follow the reply in order.
    connection.reply(id, { subscribe: result });
    subscription.start(position.offset);
  } catch (error) {
    subscription.end(null);
    throw error;
  }
}

export async function unsubscribe(connection: Connection, id: number, channel: string): Promise<void> {
  connection.subscriptions.get(channel)?.end(null);
  connection.reply(id, { unsubscribe: {} });
}

export async function presence(connection: Connection, command: Extract<Command, { kind: 'presence' | 'presence_stats' }>): Promise<void> {
  const context = await readableChannel(connection, command.id, command.body.channel);
  if (!context) return;
  if (!context.channelType.config.presence) {
    connection.replyError(command.id, Errors.notAvailable);
    return;
  }
  const name = `chat:${context.channel.type}:${context.channel.id}`;
  const engine = connection.services.presence;
  if (command.kind === 'presence') connection.reply(command.id, { presence: { presence: await engine.list(connection.appId, name) } });
  else connection.reply(command.id, { presence_stats: await engine.stats(connection.appId, name) });
}

export async function channelHistory(connection: Connection, id: number, body: HistoryRequest): Promise<void> {
  const context = await readableChannel(connection, id, body.channel);
  if (!context) return;
  try {
    connection.reply(id, { history: await history(connection.services, connection.appId, context.channel, body, connection.userId) });
  } catch (error) {
    if (!(error instanceof UnrecoverablePosition)) throw error;
    connection.replyError(id, Errors.unrecoverablePosition);
  }
}
