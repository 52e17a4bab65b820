/**
 * The echo bot: connects as its own user, greets every channel it is added to, and answers every
 * message in its channels with an echo (in the thread, for thread replies).
 *
 * Replies are idempotent: each one's client_msg_id is derived from the message it answers, so an
 * event seen twice (live and again from sync after a reconnect, or after a restart) never gives
 * two answers; the server returns the original reply.
 */
import { ParleyApiClient, ParleyClient, type Message, type Storage } from '@parley/client';
import WebSocket from 'ws';
import { mintToken } from './token.js';

/** How the bot gets its token: a fixed one, or minted from the app's key. */
export type BotCredentials = { token: string } | { keyId: string; secret: string };

export interface EchoBotOptions {
  /** The server's base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  /** The bot's user id (default `echo-bot`). */
  userId?: string;
  /** Display name used when the bot creates its user (key credentials only). */
  name?: string;
  credentials: BotCredentials;
  /** Where the bot keeps its state (default: memory). */
  storage?: Storage;
}

export interface EchoBot {
  client: ParleyClient;
  /** Replies sent so far (ids of the answered messages). */
  answered: Set<string>;
  stop(): Promise<void>;
}

/** The answer to a message. */
export function echoOf(message: Pick<Message, 'text' | 'user'>): string {
  return `echo: ${message.text}`;
}

/**
 * Starts the bot; resolves once it is connected and caught up.
 *
 * @example
 * const bot = await startEchoBot({ url: 'http://127.0.0.1:3000', credentials: { keyId, secret } });
 * // … later
 * await bot.stop();
 */
export async function startEchoBot(options: EchoBotOptions): Promise<EchoBot> {
  const userId = options.userId ?? 'echo-bot';
  const credentials = options.credentials;
  if ('secret' in credentials) {
    // With the key at hand the bot can create (or refresh) its own user with a server token.
    const admin = new ParleyApiClient({ url: options.url, tokenProvider: () => mintToken({ ...credentials, server: true, expiresIn: 60 }) });
    await admin.users.upsert([{ id: userId, name: options.name ?? 'Echo bot' }]);
  }
  const tokenProvider = () => ('token' in credentials ? credentials.token : mintToken({ ...credentials, userId, expiresIn: 3600 }));
  const client = new ParleyClient({ url: options.url, tokenProvider, userId, WebSocket, storage: options.storage });
  const answered = new Set<string>();

  const answer = (cid: string, message: Message) => {
    if (message.user?.id === userId || message.type === 'system' || message.type === 'deleted' || answered.has(message.id)) return;
    answered.add(message.id);
    client.send(cid, { text: echoOf(message), client_msg_id: `echo-${message.id}`, ...(message.parent_id ? { parent_id: message.parent_id } : {}) });
  };

  // Thread replies are not in the channel's message list: they come as events.
  client.on('event', (event) => {
    if (event.type === 'notification.added_to_channel' && event.cid) {
      client.send(event.cid, { text: `Hi! I am ${userId}: I echo every message here.`, client_msg_id: `hello-${event.cid}`.slice(0, 128) });
    } else if (event.type === 'message.new' && event.cid && event.message?.parent_id) {
      answer(event.cid, event.message);
    }
  });

  // Channel messages are read from the store, so one that arrived with a channel's state (sent
  // right as the bot was added) is answered too. Messages from before the bot joined are not.
  const scan = () => {
    const snapshot = client.store.getSnapshot();
    for (const state of Object.values(snapshot.channels)) {
      const joined = state.membership?.created_at ?? '';
      const done = new Set(state.messages.filter((m) => m.user?.id === userId).map((m) => m.client_msg_id));
      for (const message of state.messages) {
        if (message.created_at < joined || done.has(`echo-${message.id}`)) continue;
        answer(state.channel.cid, message);
      }
    }
  };
  let lastChannels = client.store.getSnapshot().channels;
  client.store.subscribe(() => {
    const channels = client.store.getSnapshot().channels;
    if (channels === lastChannels) return;
    lastChannels = channels;
    scan();
  });

  await client.connect();
  await client.whenSynced();
  return { client, answered, stop: () => client.close() };
}
