/**
 * `ParleyApiClient`: every REST group over one token manager, without store, realtime or
 * storage. `ParleyClient` extends it; use it alone for server-side scripts and admin tools.
 */
import { AppApi, AppsApi } from './api/admin.js';
import { BansApi } from './api/bans.js';
import { ChannelsApi } from './api/channels.js';
import { HttpClient } from './api/http.js';
import { MembersApi } from './api/members.js';
import { MessagesApi } from './api/messages.js';
import { PinsApi, ReactionsApi, StarsApi } from './api/reactions.js';
import { ReadStateApi, SyncApi } from './api/read-state.js';
import { TokenManager, type TokenProvider } from './api/token-manager.js';
import { BlocksApi, MeApi, UsersApi } from './api/users.js';
import type { ParleyError } from './errors.js';

/**
 * Options of {@link ParleyApiClient} (a subset of `ParleyClientOptions`).
 *
 * @example
 * const options: ParleyApiClientOptions = { url: 'http://127.0.0.1:3000', tokenProvider: () => serverToken };
 */
export interface ParleyApiClientOptions {
  /** The server's base URL (`https://chat.example.com`). */
  url: string;
  /** Called for the first request and whenever a token is refused as expired. */
  tokenProvider: TokenProvider;
  /** Sent as `X-Api-Key`: needed with external identity provider (JWKS) tokens. */
  apiKey?: string;
  /** A `fetch` implementation; default: the global one. */
  fetch?: typeof fetch;
  /** REST request timeout in ms (default 15,000). */
  requestTimeoutMs?: number;
}

/**
 * Typed REST for every endpoint of the API, grouped by resource.
 *
 * @example
 * const admin = new ParleyApiClient({ url, tokenProvider: () => serverToken });
 * await admin.users.upsert([{ id: 'alice', name: 'Alice' }]);
 * const { token } = await admin.users.createToken({ user_id: 'alice', expires_in: 3600 });
 */
export class ParleyApiClient {
  readonly channels: ChannelsApi;
  readonly members: MembersApi;
  readonly bans: BansApi;
  readonly messages: MessagesApi;
  readonly reactions: ReactionsApi;
  readonly pins: PinsApi;
  readonly stars: StarsApi;
  readonly read: ReadStateApi;
  readonly users: UsersApi;
  readonly me: MeApi;
  readonly blocks: BlocksApi;
  readonly syncApi: SyncApi;
  readonly app: AppApi;
  readonly apps: AppsApi;
  protected readonly tokens: TokenManager;

  constructor(options: ParleyApiClientOptions) {
    this.tokens = new TokenManager(options.tokenProvider, (error) => this.onAuthFailed(error));
    const http = new HttpClient({ baseUrl: options.url, tokens: this.tokens, fetch: options.fetch, apiKey: options.apiKey, timeoutMs: options.requestTimeoutMs, onReachability: (ok) => this.onReachability(ok) });
    this.channels = new ChannelsApi(http);
    this.members = new MembersApi(http);
    this.bans = new BansApi(http);
    this.messages = new MessagesApi(http);
    this.reactions = new ReactionsApi(http);
    this.pins = new PinsApi(http);
    this.stars = new StarsApi(http);
    this.read = new ReadStateApi(http);
    this.users = new UsersApi(http);
    this.me = new MeApi(http);
    this.blocks = new BlocksApi(http);
    this.syncApi = new SyncApi(http);
    this.app = new AppApi(http);
    this.apps = new AppsApi(http);
  }

  /** Called once when the token is refused for good (subclasses react). */
  protected onAuthFailed(_error: ParleyError): void {}

  /** Called after each request with whether the server was reached. */
  protected onReachability(_reachable: boolean): void {}
}
