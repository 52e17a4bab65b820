/**
 * The echo bot against a real server: it creates its user from the app's key, greets a channel
 * it is added to, answers each message once (in the thread for replies), and a restart over the
 * same storage does not answer twice.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '@parley/client';
import { startTestServer, type TestApp, type TestServer } from '../../../test/support/server.js';
import { makeApp } from '../../../test/conversations/helpers.js';
import { startEchoBot, type EchoBot } from '../src/bot.js';

let t: TestServer;
let app: TestApp;
let tokens: Record<string, string>;
let url: string;
beforeAll(async () => {
  t = await startTestServer();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  ({ app, tokens } = await makeApp(t, ['alice']));
});
afterAll(() => t.close());

async function messages(cid: string): Promise<Array<{ text: string; user: { id: string }; parent_id: string | null }>> {
  const res = await t.request('GET', `/v1/channels/${cid.replace(':', '/')}/messages?limit=200`, { token: tokens.alice });
  return res.body.messages;
}

async function eventually(check: () => Promise<void>, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('echo bot', () => {
  it('greets a channel it is added to and echoes each message once, surviving a restart', async () => {
    const storage = new MemoryStorage();
    let bot: EchoBot = await startEchoBot({ url, credentials: { keyId: app.keyId, secret: app.secret }, storage });
    const created = await t.request('POST', '/v1/channels', { token: tokens.alice, body: { type: 'team', id: 'bots', name: 'Bots' } });
    expect(created.status).toBe(201);
    const cid = created.body.channel.cid as string;
    expect((await t.request('POST', `/v1/channels/team/bots/members`, { token: tokens.alice, body: { user_ids: ['echo-bot'] } })).status).toBe(200);
    await eventually(async () => expect((await messages(cid)).filter((m) => m.user?.id === 'echo-bot').map((m) => m.text)).toEqual(['Hi! I am echo-bot: I echo every message here.']));

    const sent = await t.request('POST', `/v1/channels/team/bots/messages`, { token: tokens.alice, body: { text: 'ping' } });
    await eventually(async () => expect((await messages(cid)).map((m) => m.text)).toContain('echo: ping'));
    await t.request('POST', `/v1/channels/team/bots/messages`, { token: tokens.alice, body: { text: 'in a thread', parent_id: sent.body.message.id } });
    await eventually(async () => {
      const res = await t.request('GET', `/v1/messages/${sent.body.message.id}/replies`, { token: tokens.alice });
      expect(res.body.messages.map((m: { text: string }) => m.text)).toEqual(['in a thread', 'echo: in a thread']);
    });

    // Restart: the bot reconnects over its storage, catches up by sync (replaying what it saw)
    // and answers only what is new.
    await bot.stop();
    await t.request('POST', `/v1/channels/team/bots/messages`, { token: tokens.alice, body: { text: 'while the bot was down' } });
    bot = await startEchoBot({ url, credentials: { keyId: app.keyId, secret: app.secret }, storage });
    await eventually(async () => expect((await messages(cid)).map((m) => m.text)).toContain('echo: while the bot was down'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const texts = (await messages(cid)).map((m) => m.text);
    expect(texts.filter((x) => x === 'echo: ping')).toHaveLength(1);
    expect(texts.filter((x) => x.startsWith('Hi! I am'))).toHaveLength(1);
    await bot.stop();
  });

  it('runs with a token from the environment instead of the key', async () => {
    await app.upsertUsers([{ id: 'token-bot', name: 'Token bot' }]);
    const bot = await startEchoBot({ url, userId: 'token-bot', credentials: { token: await app.token('token-bot') } });
    const created = await t.request('POST', '/v1/channels', { token: tokens.alice, body: { type: 'messaging', members: ['alice', 'token-bot'] } });
    const cid = created.body.channel.cid as string;
    await t.request('POST', `/v1/channels/${cid.replace(':', '/')}/messages`, { token: tokens.alice, body: { text: 'hello bot' } });
    await eventually(async () => expect((await messages(cid)).map((m) => m.text)).toContain('echo: hello bot'));
    await bot.stop();
  });
});
