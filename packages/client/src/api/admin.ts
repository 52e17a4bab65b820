/** App settings and channel types (server token), and apps and keys (operator token). */
import type { CreateAppResponse, PatchAppBody, PutChannelTypeBody } from '@parley/protocol';
import type { Transport } from './http.js';
import type { ChannelTypeInfo } from './types.js';

/**
 * `GET /v1/app`.
 *
 * @example
 * const { app } = await admin.app.get(); app.effective_limits;
 */
export interface AppInfo {
  app: { id: string; name: string; created_at: string; settings: Record<string, unknown>; effective_limits: Record<string, number>; roles: string[] };
}

/**
 * `client.app`: the app's settings and channel types. Reading types is open to users; the rest
 * needs a server token.
 *
 * @example
 * const admin = new ParleyClient({ url, tokenProvider: () => serverToken, realtime: false });
 * await admin.app.update({ settings: { limits: { messages_per_minute_per_user: 60 } } });
 */
export class AppApi {
  constructor(private readonly http: Transport) {}

  /**
   * `GET /v1/app`.
   *
   * @example
   * const { app } = await admin.app.get();
   */
  get(): Promise<AppInfo> {
    return this.http.request('GET', '/v1/app');
  }

  /**
   * `PATCH /v1/app`: limits merge, other keys replace.
   *
   * @example
   * await admin.app.update({ settings: { event_retention_days: 7 } });
   */
  update(body: PatchAppBody): Promise<AppInfo> {
    return this.http.request('PATCH', '/v1/app', { body });
  }

  /**
   * `GET /v1/channel-types`.
   *
   * @example
   * const types = await client.app.channelTypes();
   */
  async channelTypes(): Promise<ChannelTypeInfo[]> {
    return (await this.http.request<{ channel_types: ChannelTypeInfo[] }>('GET', '/v1/channel-types')).channel_types;
  }

  /**
   * `GET /v1/channel-types/{type}`.
   *
   * @example
   * const { config } = await client.app.channelType('messaging');
   */
  async channelType(type: string): Promise<ChannelTypeInfo> {
    return (await this.http.request<{ channel_type: ChannelTypeInfo }>('GET', `/v1/channel-types/${encodeURIComponent(type)}`)).channel_type;
  }

  /**
   * `PUT /v1/channel-types/{type}`: config merges, grants (when given) replace.
   *
   * @example
   * await admin.app.putChannelType('support', { config: { typing_events: false } });
   */
  async putChannelType(type: string, body: PutChannelTypeBody): Promise<ChannelTypeInfo> {
    return (await this.http.request<{ channel_type: ChannelTypeInfo }>('PUT', `/v1/channel-types/${encodeURIComponent(type)}`, { body })).channel_type;
  }
}

/**
 * `client.apps`: the operator's endpoints (token = `PARLEY_ADMIN_TOKEN`).
 *
 * @example
 * const operator = new ParleyClient({ url, tokenProvider: () => process.env.PARLEY_ADMIN_TOKEN!, realtime: false });
 * const { app, key_id, secret } = await operator.apps.create('acme');
 */
export class AppsApi {
  constructor(private readonly http: Transport) {}

  /**
   * `POST /v1/apps`.
   *
   * @example
   * const { key_id, secret } = await operator.apps.create('acme');
   */
  create(name: string): Promise<CreateAppResponse> {
    return this.http.request('POST', '/v1/apps', { body: { name } });
  }

  /**
   * `GET /v1/apps`.
   *
   * @example
   * const { apps } = await operator.apps.list();
   */
  list(): Promise<{ apps: Array<{ id: string; name: string; created_at: string; keys: Array<{ key_id: string; created_at: string }> }> }> {
    return this.http.request('GET', '/v1/apps');
  }

  /**
   * `POST /v1/apps/{app_id}/keys`: a new key (rotation).
   *
   * @example
   * const { key_id, secret } = await operator.apps.createKey(appId);
   */
  createKey(appId: string): Promise<{ key_id: string; secret: string; created_at: string }> {
    return this.http.request('POST', `/v1/apps/${encodeURIComponent(appId)}/keys`);
  }

  /**
   * `DELETE /v1/apps/{app_id}/keys/{key_id}`.
   *
   * @example
   * await operator.apps.deleteKey(appId, oldKeyId);
   */
  deleteKey(appId: string, keyId: string): Promise<{ ok: true }> {
    return this.http.request('DELETE', `/v1/apps/${encodeURIComponent(appId)}/keys/${encodeURIComponent(keyId)}`);
  }
}
