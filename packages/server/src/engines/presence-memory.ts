import type { ClientInfo, Presence, PresenceInfo, PresenceStats } from './presence.js';

/**
 * Presence in this process: exact for one node. Entries live until removed (a crash loses the
 * whole process, entries included), so there is no TTL here.
 */
export class MemoryPresence implements Presence {
  /** app → channel → client id → info. */
  private readonly channels = new Map<string, Map<string, Map<string, ClientInfo>>>();
  /** app → user → number of (channel, client) entries. */
  private readonly users = new Map<string, Map<string, number>>();

  async add(appId: string, channel: string, clientId: string, info: PresenceInfo): Promise<void> {
    let app = this.channels.get(appId);
    if (!app) this.channels.set(appId, (app = new Map()));
    let clients = app.get(channel);
    if (!clients) app.set(channel, (clients = new Map()));
    const previous = clients.get(clientId);
    if (previous) this.countUser(appId, previous.user, -1);
    clients.set(clientId, { ...structuredClone(info), client: clientId });
    this.countUser(appId, info.user, 1);
  }

  async remove(appId: string, channel: string, clientId: string): Promise<void> {
    const app = this.channels.get(appId);
    const clients = app?.get(channel);
    const previous = clients?.get(clientId);
    if (!app || !clients || !previous) return;
    clients.delete(clientId);
    if (clients.size === 0) app.delete(channel);
    if (app.size === 0) this.channels.delete(appId);
    this.countUser(appId, previous.user, -1);
  }

  async list(appId: string, channel: string): Promise<Record<string, ClientInfo>> {
    const clients = this.channels.get(appId)?.get(channel);
    const out: Record<string, ClientInfo> = {};
    for (const [id, info] of clients ?? []) out[id] = structuredClone(info);
    return out;
  }

  async stats(appId: string, channel: string): Promise<PresenceStats> {
    const clients = this.channels.get(appId)?.get(channel);
    if (!clients) return { num_clients: 0, num_users: 0 };
    return { num_clients: clients.size, num_users: new Set([...clients.values()].map((c) => c.user)).size };
  }

  async online(appId: string, userId: string): Promise<boolean> {
    return (this.users.get(appId)?.get(userId) ?? 0) > 0;
  }

  async onlineUsers(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    const users = this.users.get(appId);
    return new Set(userIds.filter((id) => (users?.get(id) ?? 0) > 0));
  }

  async close(): Promise<void> {
    this.channels.clear();
    this.users.clear();
  }

  private countUser(appId: string, userId: string, delta: number): void {
    let users = this.users.get(appId);
    if (!users) this.users.set(appId, (users = new Map()));
    const count = (users.get(userId) ?? 0) + delta;
    if (count > 0) users.set(userId, count);
    else users.delete(userId);
    if (users.size === 0) this.users.delete(appId);
  }
}
