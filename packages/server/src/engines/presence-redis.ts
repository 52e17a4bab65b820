import { Redis, type ChainableCommander } from 'ioredis';
import type { Logger } from 'pino';
import { PRESENCE_TTL_MS, type ClientInfo, type Presence, type PresenceInfo, type PresenceStats } from './presence.js';
import { waitForRedis } from './redis-connect.js';

export interface RedisPresenceOptions {
  /** Key prefix (default `parley:presence:`). */
  prefix?: string;
  /** Lifetime of an entry that is not refreshed (default 60 s). */
  ttlMs?: number;
  /** Heartbeat period (default a third of the TTL). */
  refreshMs?: number;
  connectTimeoutMs?: number;
  log?: Logger;
}

// Shared Lua: the server's clock (TIME) stamps entries, so node clocks may differ.
const COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function drop_user(counts, user)
  if redis.call('HINCRBY', counts, user, -1) <= 0 then redis.call('HDEL', counts, user) end
end
-- Drops the channel's entries whose expiry has passed (a crashed node's clients).
local function cleanup(expiry, infos, counts, now)
  local expired = redis.call('ZRANGEBYSCORE', expiry, '-inf', now)
  if #expired == 0 then return end
  for _, client in ipairs(expired) do
    local raw = redis.call('HGET', infos, client)
    if raw then
      drop_user(counts, cjson.decode(raw)['user'])
      redis.call('HDEL', infos, client)
    end
  end
  redis.call('ZREMRANGEBYSCORE', expiry, '-inf', now)
end
`;

/**
 * KEYS: channel expiry ZSET, channel info HASH, channel user-count HASH, user's online ZSET.
 * ARGV: client id, info JSON, user id, ttl ms, online member, user key prefix.
 */
const ADD = `${COMMON}
local now = now_ms()
cleanup(KEYS[1], KEYS[2], KEYS[3], now)
local previous = redis.call('HGET', KEYS[2], ARGV[1])
if previous then
  local old = cjson.decode(previous)['user']
  if old ~= ARGV[3] then
    drop_user(KEYS[3], old)
    redis.call('ZREM', ARGV[6] .. old, ARGV[5])
    redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
  end
else
  redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
end
local expire_at = now + tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], expire_at, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
redis.call('ZADD', KEYS[4], expire_at, ARGV[5])
-- Every entry of a key expires by then, so the key may too (an abandoned channel leaves nothing).
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
return 1
`;

/** KEYS: expiry, infos, counts. ARGV: client id, user key prefix, online member. */
const REMOVE = `
local raw = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
if raw then
  local user = cjson.decode(raw)['user']
  redis.call('HDEL', KEYS[2], ARGV[1])
  if redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then redis.call('HDEL', KEYS[3], user) end
  redis.call('ZREM', ARGV[2] .. user, ARGV[3])
end
return 1
`;

/** KEYS: expiry, infos, counts. */
const LIST = `${COMMON}
cleanup(KEYS[1], KEYS[2], KEYS[3], now_ms())
return redis.call('HGETALL', KEYS[2])
`;

/** KEYS: expiry, infos, counts. */
const STATS = `${COMMON}
cleanup(KEYS[1], KEYS[2], KEYS[3], now_ms())
return { redis.call('ZCARD', KEYS[1]), redis.call('HLEN', KEYS[3]) }
`;

/** KEYS: users' online ZSETs. Returns, per key, how many live entries it holds. */
const ONLINE = `${COMMON}
local now = now_ms()
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('ZCOUNT', key, '(' .. now, '+inf') end
return out
`;

interface PresenceCommands {
  parleyPresenceAdd(...args: string[]): Promise<number>;
  parleyPresenceRemove(...args: string[]): Promise<number>;
  parleyPresenceList(...args: string[]): Promise<string[]>;
  parleyPresenceStats(...args: string[]): Promise<[number, number]>;
  parleyPresenceOnline(keyCount: number, ...keys: string[]): Promise<number[]>;
}

interface LocalEntry {
  appId: string;
  channel: string;
  clientId: string;
  info: ClientInfo;
}

/**
 * Presence in Redis, shared by every node (Centrifuge's Redis presence layout), per app and
 * channel: a ZSET of client id → expiry time, a HASH of client id → ClientInfo JSON and a HASH of
 * user id → number of that user's clients there (so `num_users` is one HLEN); per app and user, a
 * ZSET of (channel, client) → expiry for `online`. Lua scripts keep them consistent and drop
 * expired entries whenever a channel is read or written. Each node refreshes its own entries every
 * `refreshMs` (re-adding them in full, which also repairs a Redis that lost its data); a node that
 * stops refreshing loses its entries after `ttlMs`.
 *
 * Outages: `add`/`remove` do not fail (logged; the heartbeat re-adds once Redis is back, a removal
 * that could not be written expires); `list`, `stats` and `online` reject. Standalone Redis or
 * Sentinel: the scripts touch per-user keys they compute, which Redis Cluster would refuse.
 */
export class RedisPresence implements Presence {
  private readonly redis: Redis & PresenceCommands;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly log: Logger | undefined;
  private readonly local = new Map<string, LocalEntry>();
  private readonly heartbeat: NodeJS.Timeout;
  private refreshing: Promise<void> | null = null;
  private failing = false;
  private closed = false;

  static async connect(url: string, options: RedisPresenceOptions = {}): Promise<RedisPresence> {
    const presence = new RedisPresence(url, options);
    try {
      await waitForRedis(presence.redis, options.connectTimeoutMs ?? 5_000);
    } catch (error) {
      await presence.close();
      throw error;
    }
    return presence;
  }

  private constructor(url: string, options: RedisPresenceOptions) {
    this.prefix = options.prefix ?? 'parley:presence:';
    this.ttlMs = options.ttlMs ?? PRESENCE_TTL_MS;
    this.log = options.log;
    this.redis = new Redis(url, {
      lazyConnect: true,
      connectionName: 'parley-presence',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 2_000,
      scripts: {
        parleyPresenceAdd: { numberOfKeys: 4, lua: ADD },
        parleyPresenceRemove: { numberOfKeys: 3, lua: REMOVE },
        parleyPresenceList: { numberOfKeys: 3, lua: LIST },
        parleyPresenceStats: { numberOfKeys: 3, lua: STATS },
        parleyPresenceOnline: { lua: ONLINE },
      },
    }) as Redis & PresenceCommands;
    this.redis.on('error', () => {});
    // Back from an outage: rewrite this node's entries now rather than at the next beat.
    this.redis.on('ready', () => {
      if (this.failing) void this.refresh();
    });
    this.heartbeat = setInterval(() => void this.refresh(), options.refreshMs ?? Math.floor(this.ttlMs / 3));
    this.heartbeat.unref();
  }

  async add(appId: string, channel: string, clientId: string, info: PresenceInfo): Promise<void> {
    if (this.closed) return;
    const entry: LocalEntry = { appId, channel, clientId, info: { ...info, client: clientId } };
    // Recorded first: if Redis is down now, the heartbeat writes it once Redis is back.
    this.local.set(localKey(appId, channel, clientId), entry);
    await this.write(() => this.redis.parleyPresenceAdd(...this.addArgs(entry)), 'add');
  }

  async remove(appId: string, channel: string, clientId: string): Promise<void> {
    if (this.closed) return;
    this.local.delete(localKey(appId, channel, clientId));
    const keys = this.channelKeys(appId, channel);
    await this.write(() => this.redis.parleyPresenceRemove(...keys, clientId, this.userKeyPrefix(appId), onlineMember(channel, clientId)), 'remove');
  }

  async list(appId: string, channel: string): Promise<Record<string, ClientInfo>> {
    const flat = await this.redis.parleyPresenceList(...this.channelKeys(appId, channel));
    const out: Record<string, ClientInfo> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = JSON.parse(flat[i + 1]!) as ClientInfo;
    return out;
  }

  async stats(appId: string, channel: string): Promise<PresenceStats> {
    const [clients, users] = await this.redis.parleyPresenceStats(...this.channelKeys(appId, channel));
    return { num_clients: Number(clients), num_users: Number(users) };
  }

  async online(appId: string, userId: string): Promise<boolean> {
    return (await this.onlineUsers(appId, [userId])).has(userId);
  }

  async onlineUsers(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return new Set();
    const counts = await this.redis.parleyPresenceOnline(unique.length, ...unique.map((id) => this.userKeyPrefix(appId) + id));
    return new Set(unique.filter((_, i) => Number(counts[i]) > 0));
  }

  /** Stops the heartbeat and disconnects; entries not removed expire after the TTL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.refreshing;
    this.local.clear();
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  /** Re-adds every entry of this node; all commands leave in one tick, so none races a remove. */
  private async refresh(): Promise<void> {
    if (this.closed || this.refreshing || this.local.size === 0 || this.redis.status !== 'ready') return;
    const pipelines: ChainableCommander[] = [];
    let pipeline: ChainableCommander | null = null;
    let count = 0;
    for (const entry of this.local.values()) {
      if (!pipeline || count % 500 === 0) pipelines.push((pipeline = this.redis.pipeline()));
      (pipeline as unknown as PresenceCommands).parleyPresenceAdd(...this.addArgs(entry));
      count++;
    }
    this.refreshing = (async () => {
      try {
        const results = await Promise.all(pipelines.map((p) => p.exec()));
        const failed = results.flatMap((r) => r ?? []).find(([error]) => error);
        if (failed) throw failed[0];
        this.recovered();
      } catch (error) {
        this.failed(error, 'heartbeat');
      } finally {
        this.refreshing = null;
      }
    })();
    await this.refreshing;
  }

  private async write(command: () => Promise<unknown>, what: string): Promise<void> {
    try {
      await command();
      this.recovered();
    } catch (error) {
      this.failed(error, what);
    }
  }

  private failed(error: unknown, what: string): void {
    if (this.failing || this.closed) return;
    this.failing = true;
    this.log?.warn({ err: error, engine: 'presence-redis', operation: what }, 'presence store unavailable; entries are refreshed once it is back');
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.log?.info({ engine: 'presence-redis' }, 'presence store available again');
  }

  private addArgs(entry: LocalEntry): string[] {
    const { appId, channel, clientId, info } = entry;
    return [
      ...this.channelKeys(appId, channel),
      this.userKeyPrefix(appId) + info.user,
      clientId,
      JSON.stringify(info),
      info.user,
      String(this.ttlMs),
      onlineMember(channel, clientId),
      this.userKeyPrefix(appId),
    ];
  }

  /** Expiry ZSET, info HASH, user-count HASH. Suffixes of equal length keep the names injective. */
  private channelKeys(appId: string, channel: string): [string, string, string] {
    const base = `${this.prefix}ch:${encodeURIComponent(appId)}/${channel}`;
    return [`${base}:z`, `${base}:h`, `${base}:u`];
  }

  /** `<prefix>user:<app>/` + user id: the user's online ZSET. */
  private userKeyPrefix(appId: string): string {
    return `${this.prefix}user:${encodeURIComponent(appId)}/`;
  }
}

function localKey(appId: string, channel: string, clientId: string): string {
  return JSON.stringify([appId, channel, clientId]);
}

/** One entry of a user's online ZSET: (channel, client), length-prefixed so it is injective. */
function onlineMember(channel: string, clientId: string): string {
  return `${channel.length}:${channel}${clientId}`;
}
