/**
 * Users' presence: a user is online while any of their connections is (the Presence engine's
 * `online`, across nodes), with the status they chose (`users.presence_status`), and a last seen
 * time (`users.last_active_at`). Changes reach the users who share a channel with them as
 * `user.presence.changed` on their personal channels, throttled per user. Each connection may also
 * say which channel it is viewing (kept in its presence entry). See docs/subsystems/presence.md.
 */
import { personalChannel, type ChannelTypeDefinition, type PresenceStatus, type UserPresenceChangedEvent } from '@parley/protocol';
import type { Logger } from 'pino';
import type { Queryable } from '../db/pool.js';
import { notFound } from '../errors.js';
import { userTopic, type Broker } from '../engines/broker.js';
import type { Presence } from '../engines/presence.js';
import { CoalescingThrottle } from './throttle.js';

export interface UserPresenceDeps {
  pool: Queryable;
  presence: Presence;
  broker: Broker;
  log?: Logger;
  /** The effective channel type (cached): events travel only through channels whose type has `presence` on. */
  channelType(appId: string, type: string): Promise<ChannelTypeDefinition>;
}

export interface UserPresenceOptions {
  /** At most one event per user per this period (per node), coalesced. */
  throttleMs: number;
  /** How often connected users' `last_active_at` is written. */
  lastSeenIntervalMs: number;
  /**
   * Only channels of at most this many members carry presence between their members: in a big
   * channel every connect would reach everyone (n² events as its members come online). Watchers
   * of a big channel see who is there through the channel's own presence (join/leave).
   */
  maxChannelMembers?: number;
}

export interface OwnPresence {
  status: PresenceStatus;
  online: boolean;
  last_seen_at: string | null;
}

interface UserRow {
  name: string | null;
  image: string | null;
  presence_status: PresenceStatus;
  last_active_at: Date | null;
}

const EVENT = 'user.presence.changed';
/** Connections closing within this window share one last seen UPDATE. */
const LAST_SEEN_BATCH_MS = 20;

function userKey(appId: string, userId: string): string {
  return `${appId}\u0000${userId}`;
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('\u0000');
  return [key.slice(0, at), key.slice(at + 1)];
}

/** The channel a connection is viewing, as kept in its personal presence entry's `chan_info`. */
export function viewingOf(chanInfo: unknown): string | null {
  const viewing = (chanInfo as { viewing?: unknown } | null | undefined)?.viewing;
  return typeof viewing === 'string' ? viewing : null;
}

/** Whether any connection of the user, on any node, declared it is viewing the channel `cid`. */
export async function isViewing(presence: Presence, appId: string, userId: string, cid: string): Promise<boolean> {
  const clients = await presence.list(appId, personalChannel(userId));
  return Object.values(clients).some((client) => viewingOf(client.chan_info) === cid);
}

export class UserPresence {
  /** This node's connections per user (last seen writes). */
  private readonly local = new Map<string, number>();
  /** Users with an event due whose status was set since the last one (not only connections coming and going). */
  private readonly statusSet = new Set<string>();
  private readonly throttle: CoalescingThrottle;
  private readonly sweep: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Last seen writes of closing connections, batched per app (a reconnect storm is one UPDATE per batch). */
  private readonly closing = new Map<string, { ids: Set<string>; written: Promise<void> }>();
  private closed = false;

  constructor(
    private readonly deps: UserPresenceDeps,
    private readonly options: UserPresenceOptions,
  ) {
    this.throttle = new CoalescingThrottle(options.throttleMs, (key) => this.publish(key), (error) => deps.log?.warn({ err: error }, 'presence event failed'));
    this.sweep = setInterval(() => void this.track(this.persistLastSeen()), options.lastSeenIntervalMs);
    this.sweep.unref();
  }

  /**
   * A connection of the user opened here; `add` writes its presence entry. Whether the user was
   * online before is asked first (on any node): only a first connection is news. Two first
   * connections at once on two nodes may both tell (a duplicate, never a miss).
   */
  connected(appId: string, userId: string, add: () => Promise<unknown>): Promise<unknown> {
    const key = userKey(appId, userId);
    this.local.set(key, (this.local.get(key) ?? 0) + 1);
    return this.track(
      (async () => {
        const wasOnline = await this.deps.presence.online(appId, userId).catch(() => false);
        await add();
        if (!wasOnline) this.changed(appId, userId, 'connection');
      })(),
    );
  }

  /**
   * A connection of the user closed here; `removed` is its presence entry being removed. When it
   * was the user's last one on this node, their last seen time is written; when it was their last
   * one anywhere, others are told.
   */
  disconnected(appId: string, userId: string, removed: Promise<unknown>): void {
    const key = userKey(appId, userId);
    const count = (this.local.get(key) ?? 1) - 1;
    if (count > 0) this.local.set(key, count);
    else this.local.delete(key);
    void this.track(
      (async () => {
        await removed.catch(() => {});
        if (!this.local.has(key)) await this.lastSeenOnClose(appId, userId);
        const stillOnline = await this.deps.presence.online(appId, userId).catch(() => false);
        if (!stillOnline) this.changed(appId, userId, 'connection');
      })(),
    );
  }

  /**
   * Something about the user's presence may have changed: an event with their state as it is when
   * it runs follows (throttled, coalesced). `connection`: their first connection opened or their
   * last one closed; `status`: they set their status.
   */
  changed(appId: string, userId: string, cause: 'connection' | 'status'): void {
    if (this.closed) return;
    const key = userKey(appId, userId);
    if (cause === 'status') this.statusSet.add(key);
    this.throttle.touch(key);
  }

  /** `PATCH /v1/me/presence`, the `set_status` rpc. */
  async setStatus(appId: string, userId: string, status: PresenceStatus): Promise<OwnPresence> {
    // A change of status is activity, except staying invisible (which keeps the last seen time still).
    const updated = await this.deps.pool.query<{ last_active_at: Date | null }>(
      `update users set presence_status = $3,
         last_active_at = case when presence_status = 'invisible' and $3 = 'invisible' then last_active_at else now() end
       where app_id = $1 and id = $2 returning last_active_at`,
      [appId, userId, status],
    );
    const row = updated.rows[0];
    if (!row) throw notFound('user');
    this.changed(appId, userId, 'status');
    const online = await this.deps.presence.online(appId, userId);
    return { status, online, last_seen_at: row.last_active_at ? row.last_active_at.toISOString() : null };
  }

  /** The user's own presence (their status, even invisible). */
  async own(appId: string, userId: string): Promise<OwnPresence> {
    const row = await this.user(appId, userId);
    if (!row) throw notFound('user');
    const online = await this.deps.presence.online(appId, userId);
    return { status: row.presence_status, online, last_seen_at: row.last_active_at ? row.last_active_at.toISOString() : null };
  }

  /** Whether any connection of the user, on any node, is viewing the channel `cid` (rpc `viewing`). */
  isViewing(appId: string, userId: string, cid: string): Promise<boolean> {
    return isViewing(this.deps.presence, appId, userId, cid);
  }

  /** Writes `last_active_at = now()` for every user connected here (the periodic sweep; tests call it). */
  async persistLastSeen(): Promise<void> {
    const byApp = new Map<string, string[]>();
    for (const key of this.local.keys()) {
      const [appId, userId] = splitKey(key);
      let ids = byApp.get(appId);
      if (!ids) byApp.set(appId, (ids = []));
      ids.push(userId);
    }
    for (const [appId, ids] of byApp) await this.writeLastSeen(appId, ids);
    this.throttle.prune();
  }

  /** Stops the sweep and scheduled events; waits for what is in progress (before the pool closes). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    await Promise.allSettled([...this.inFlight]);
    await this.throttle.close();
  }

  /** Joins the app's next batch of last seen writes (within `LAST_SEEN_BATCH_MS`); resolves once written. */
  private lastSeenOnClose(appId: string, userId: string): Promise<void> {
    let batch = this.closing.get(appId);
    if (!batch) {
      const ids = new Set<string>();
      const written = new Promise<void>((resolve) => setTimeout(resolve, LAST_SEEN_BATCH_MS)).then(() => {
        this.closing.delete(appId);
        return this.writeLastSeen(appId, [...ids]);
      });
      this.closing.set(appId, (batch = { ids, written }));
    }
    batch.ids.add(userId);
    return batch.written;
  }

  private async writeLastSeen(appId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    try {
      await this.deps.pool.query({
        name: 'presence-last-seen',
        text: "update users set last_active_at = now() where app_id = $1 and id = any($2::text[]) and presence_status <> 'invisible'",
        values: [appId, userIds],
      });
    } catch (error) {
      this.deps.log?.warn({ err: error }, 'last seen write failed');
    }
  }

  private async user(appId: string, userId: string): Promise<UserRow | undefined> {
    const result = await this.deps.pool.query<UserRow>({
      name: 'presence-user',
      text: 'select name, image, presence_status, last_active_at from users where app_id = $1 and id = $2 and deleted_at is null',
      values: [appId, userId],
    });
    return result.rows[0];
  }

  /** Reads the user's state now and publishes it (to others, and to the user's own connections). */
  private async publish(key: string): Promise<boolean> {
    const [appId, userId] = splitKey(key);
    const statusSet = this.statusSet.delete(key);
    const row = await this.user(appId, userId);
    if (!row) return false;
    const online = await this.deps.presence.online(appId, userId);
    const base = {
      type: EVENT,
      user: { id: userId, name: row.name, image: row.image },
      last_seen_at: row.last_active_at ? row.last_active_at.toISOString() : null,
      created_at: new Date().toISOString(),
    } as const;
    // Invisible: online for the user's own connections, offline for everyone else.
    const visible = online && row.presence_status !== 'invisible';
    const others: UserPresenceChangedEvent = visible ? { ...base, status: row.presence_status, online: true } : { ...base, status: 'offline', online: false };
    const self: UserPresenceChangedEvent = online ? { ...base, status: row.presence_status, online: true } : { ...base, status: 'offline', online: false };
    // Connections coming and going change nothing others see of an invisible user (offline all
    // along: telling them again would reveal the connection), nor anything for the user once offline.
    let published = false;
    if (statusSet || row.presence_status !== 'invisible') {
      const recipients = await this.recipients(appId, userId);
      for (const id of recipients) await this.deps.broker.publish(userTopic(appId, id), { appId, event: others });
      published = true;
    }
    if (statusSet || online) {
      await this.deps.broker.publish(userTopic(appId, userId), { appId, event: self });
      published = true;
    }
    return published;
  }

  /**
   * Who hears about the user: the members of the user's channels (not deleted, of a type with
   * `presence` on, not above `maxChannelMembers`), deduplicated, and of them only those online
   * (one presence round trip).
   */
  private async recipients(appId: string, userId: string): Promise<string[]> {
    const result = await this.deps.pool.query<{ type: string; user_id: string }>({
      name: 'presence-recipients',
      text: `select distinct m.type, o.user_id
        from channel_members m
        join channels c on c.app_id = m.app_id and c.type = m.type and c.id = m.channel_id and c.deleted_at is null and c.member_count <= $3
        join channel_members o on o.app_id = m.app_id and o.type = m.type and o.channel_id = m.channel_id and o.user_id <> m.user_id
        where m.app_id = $1 and m.user_id = $2`,
      values: [appId, userId, this.options.maxChannelMembers ?? 100],
    });
    const enabled = new Map<string, boolean>();
    for (const type of new Set(result.rows.map((r) => r.type))) {
      enabled.set(type, (await this.deps.channelType(appId, type).catch(() => null))?.config.presence ?? false);
    }
    const ids = [...new Set(result.rows.filter((r) => enabled.get(r.type)).map((r) => r.user_id))];
    if (ids.length === 0) return [];
    return [...(await this.deps.presence.onlineUsers(appId, ids))];
  }

  private track<T>(promise: Promise<T>): Promise<T | undefined> {
    const tracked = promise.catch((error: unknown) => {
      this.deps.log?.warn({ err: error }, 'presence update failed');
      return undefined;
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return tracked;
  }
}
