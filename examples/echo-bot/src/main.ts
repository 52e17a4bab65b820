#!/usr/bin/env node
/**
 * Runs the echo bot. Environment:
 *   PARLEY_URL        server base URL (default http://127.0.0.1:3000)
 *   PARLEY_BOT_ID     the bot's user id (default echo-bot)
 *   PARLEY_KEY_ID + PARLEY_SECRET   the app's key: the bot mints its own tokens and creates its user
 *   PARLEY_BOT_TOKEN  or: a user token for the bot (the user must exist)
 *   PARLEY_BOT_STATE  a directory to keep the bot's state in (default: memory)
 */
import { FileStorage } from '@parley/client/node';
import { startEchoBot, type BotCredentials } from './bot.js';

const env = process.env;
let credentials: BotCredentials;
if (env.PARLEY_KEY_ID && env.PARLEY_SECRET) credentials = { keyId: env.PARLEY_KEY_ID, secret: env.PARLEY_SECRET };
else if (env.PARLEY_BOT_TOKEN) credentials = { token: env.PARLEY_BOT_TOKEN };
else {
  console.error('set PARLEY_KEY_ID and PARLEY_SECRET, or PARLEY_BOT_TOKEN');
  process.exit(2);
}

const bot = await startEchoBot({
  url: env.PARLEY_URL ?? 'http://127.0.0.1:3000',
  userId: env.PARLEY_BOT_ID,
  credentials,
  storage: env.PARLEY_BOT_STATE ? new FileStorage(env.PARLEY_BOT_STATE) : undefined,
});
bot.client.on('connection', (state) => console.log(`connection: ${state}`));
bot.client.on('auth-failed', (error) => {
  console.error(`auth failed: ${error.message}`);
  process.exit(1);
});
console.log(`echo bot ${bot.client.userId} running; channels: ${bot.client.store.getSnapshot().channelList.length}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void bot.stop().then(() => process.exit(0));
  });
}
