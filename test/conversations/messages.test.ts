/** Sending (validation, markdown, mentions), editing with history, soft and hard delete. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, expectError, putType, send, sendOk, startWorld, type Channel, type World } from './helpers.js';

let w: World;
let general: Channel;
let alice: string, bob: string, carol: string, dave: string;

beforeAll(async () => {
  w = await startWorld(['alice', 'bob', 'carol', 'dave']);
  ({ alice, bob, carol, dave } = w.tokens as Record<string, string>);
  // alice owns the channel; bob and carol are members; dave is not.
  general = await createChannel(w.t, alice, { type: 'messaging', id: 'general', members: ['bob', 'carol'] });
  await putType(w.t, w.app, 'short', { max_message_length: 10 });
  await putType(w.t, w.app, 'quickedit', { edit_window_seconds: 60 });
});
afterAll(() => w.t.close());

const image = (n: number) => ({ type: 'image', url: `https://cdn.example.com/${n}.png` });

describe('send validation', () => {
  it('rejects empty and whitespace-only messages, accepts attachment-only ones', async () => {
    for (const body of [{}, { text: '' }, { text: '   \n\t  ' }, { text: ' ', attachments: [] }]) {
      expectError(await send(w.t, alice, general, body), 400, 'EMPTY_MESSAGE');
    }
    const photo = await sendOk(w.t, alice, general, { attachments: [image(1)] });
    expect(photo.text).toBe('');
    expect(photo.attachments).toEqual([image(1)]);
  });

  it('enforces max_message_length: 5,000 by default, the type config when set', async () => {
    expect((await sendOk(w.t, alice, general, { text: 'a'.repeat(5000) })).text).toHaveLength(5000);
    const tooLong = await send(w.t, alice, general, { text: 'a'.repeat(5001) });
    expectError(tooLong, 400, 'MESSAGE_TOO_LONG');

    const short = await createChannel(w.t, alice, { type: 'short', id: 'short', members: ['bob'] });
    await sendOk(w.t, alice, short, { text: '0123456789' });
    // Characters, not UTF-16 units or bytes.
    await sendOk(w.t, alice, short, { text: '😀'.repeat(10) });
    expectError(await send(w.t, alice, short, { text: '01234567890' }), 400, 'MESSAGE_TOO_LONG');
    const before = await w.t.request('GET', `${short.path}/messages`, { token: alice });
    expect(before.body.messages).toHaveLength(2);
  });

  it('allows 10 attachments and rejects 11', async () => {
    const ten = await sendOk(w.t, alice, general, { text: 'ten', attachments: Array.from({ length: 10 }, (_, i) => image(i)) });
    expect(ten.attachments).toHaveLength(10);
    const eleven = await send(w.t, alice, general, { text: 'eleven', attachments: Array.from({ length: 11 }, (_, i) => image(i)) });
    expectError(eleven, 400, 'TOO_MANY_ATTACHMENTS');
  });

  it('resolves mentions from mentioned_user_ids and @id in text, keeping members only', async () => {
    const sent = await sendOk(w.t, alice, general, { text: 'hi @bob and @dave, mail me at x@carol.com', mentioned_user_ids: ['carol', 'dave', 'nobody'] });
    expect(sent.mentioned_users.map((u: any) => u.id)).toEqual(['bob', 'carol']);
    expect(sent.mentioned_users[0]).toEqual({ id: 'bob', name: 'Bob', image: null });
    const got = await w.t.request('GET', `/v1/messages/${sent.id}`, { token: bob });
    expect(got.body.message.mentioned_users.map((u: any) => u.id)).toEqual(['bob', 'carol']);

    const trailing = await sendOk(w.t, alice, general, { text: 'thanks @carol.' });
    expect(trailing.mentioned_users.map((u: any) => u.id)).toEqual(['carol']);

    const bobMentions = await w.t.request('GET', '/v1/me/mentions', { token: bob });
    expect(bobMentions.body.messages.map((m: any) => m.id)).toContain(sent.id);
    const carolMentions = await w.t.request('GET', '/v1/me/mentions', { token: carol });
    expect(carolMentions.body.messages.map((m: any) => m.id).slice(0, 2)).toEqual([trailing.id, sent.id]);
    const daveMentions = await w.t.request('GET', '/v1/me/mentions', { token: dave });
    expect(daveMentions.body.messages).toEqual([]);
  });

  it('an edit re-reads the mentions of the text: added @ids count, removed ones stop, explicit ones stay', async () => {
    const mentionIds = async (token: string) => (await w.t.request('GET', '/v1/me/mentions', { token })).body.messages.map((m: any) => m.id);
    const unreadMentions = async (token: string) => (await w.t.request('GET', '/v1/me/unread', { token })).body.total_unread_mentions;
    const sent = await sendOk(w.t, alice, general, { text: 'ping @bob', mentioned_user_ids: ['carol'] });
    const carolBefore = await unreadMentions(carol);
    const edited = await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: alice, body: { text: 'ping someone else' } });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body.message.mentioned_users.map((u: any) => u.id)).toEqual(['carol']);
    expect(await mentionIds(bob)).not.toContain(sent.id);
    expect(await mentionIds(carol)).toContain(sent.id);
    expect(await unreadMentions(carol)).toBe(carolBefore);

    const bobBefore = await unreadMentions(bob);
    const again = await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: alice, body: { text: 'ping @bob after all, and @dave' } });
    expect(again.body.message.mentioned_users.map((u: any) => u.id)).toEqual(['bob', 'carol']);
    expect(await mentionIds(bob)).toContain(sent.id);
    expect(await unreadMentions(bob)).toBe(bobBefore + 1);
  });
});

describe('markdown', () => {
  it('renders bold, italic, code and links', async () => {
    const text = '**bold** _it_ `x < y` [docs](https://example.com/a?b=1) <mailto:hi@example.com>';
    const sent = await sendOk(w.t, alice, general, { text });
    expect(sent.text).toBe(text);
    expect(sent.html).toContain('<strong>bold</strong>');
    expect(sent.html).toContain('<em>it</em>');
    expect(sent.html).toContain('<code>x &lt; y</code>');
    expect(sent.html).toMatch(/<a href="https:\/\/example\.com\/a\?b=1"[^>]*>docs<\/a>/);
    expect(sent.html).toMatch(/<a href="mailto:hi@example\.com"[^>]*>/);
  });

  it('escapes raw HTML and drops links that are not http, https or mailto', async () => {
    const cases: Array<[string, RegExp]> = [
      ['<script>alert(1)</script>', /&lt;script&gt;/],
      ['<img src=x onerror=alert(1)>', /&lt;img/],
      ['<a href="javascript:alert(1)">x</a>', /&lt;a href/],
      ['[click](javascript:alert(1))', /click/],
      ['[click](JaVaScRiPt:alert(document.cookie))', /click/],
      ['[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)', /click/],
      ['[click](vbscript:msgbox(1))', /click/],
      ['[click](ftp://example.com/file)', /click/],
      ['[click](/relative/path)', /click/],
      ['[click](java&#x09;script:alert(1))', /click/],
      ['[click](//evil.example.com/x)', /click/],
    ];
    for (const [text, visible] of cases) {
      const sent = await sendOk(w.t, alice, general, { text });
      expect(sent.text).toBe(text);
      expect(sent.html, text).toMatch(visible);
      expect(sent.html, text).not.toMatch(/<script|<img|<[^>]*onerror|<a [^>]*href="(?!https?:|mailto:)/i);
      expect(sent.html.toLowerCase(), text).not.toMatch(/<[^>]*(javascript|data|vbscript|ftp):/);
    }
  });

  it('re-renders html on edit', async () => {
    const sent = await sendOk(w.t, alice, general, { text: 'plain' });
    const edited = await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: alice, body: { text: '**loud** <b>x</b>' } });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body.message.html).toBe('<p><strong>loud</strong> &lt;b&gt;x&lt;/b&gt;</p>');
  });
});

describe('edit', () => {
  it('edits own messages, keeps the history, sets edited_at', async () => {
    const sent = await sendOk(w.t, alice, general, { text: 'first', custom: { v: 1 } });
    expect(sent.edited_at).toBeNull();
    const one = await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: alice, body: { text: 'second' } });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body.message).toMatchObject({ id: sent.id, seq: sent.seq, text: 'second', custom: { v: 1 } });
    expect(one.body.message.edited_at).not.toBeNull();
    const two = await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: alice, body: { text: 'third', custom: { v: 2 } } });
    expect(two.body.message).toMatchObject({ text: 'third', custom: { v: 2 } });

    const seen = await w.t.request('GET', `/v1/messages/${sent.id}`, { token: bob });
    expect(seen.body.message.text).toBe('third');
    expect(seen.body.message.edited_at).toBe(two.body.message.edited_at);
    const history = await w.t.request('GET', `/v1/messages/${sent.id}/history`, { token: bob });
    expect(history.status).toBe(200);
    expect(history.body.history.map((h: any) => [h.version, h.text, h.custom])).toEqual([
      [1, 'first', { v: 1 }],
      [2, 'second', { v: 1 }],
    ]);
    expectError(await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: alice, body: { text: '   ' } }), 400, 'EMPTY_MESSAGE');
  });

  it("forbids editing others' messages (403) and hides the message from non-members (404)", async () => {
    const sent = await sendOk(w.t, alice, general, { text: 'mine' });
    expectError(await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: bob, body: { text: 'hacked' } }), 403, 'PERMISSION_DENIED');
    expectError(await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: dave, body: { text: 'hacked' } }), 404, 'NOT_FOUND');
    expectError(await w.t.request('GET', `/v1/messages/${sent.id}`, { token: dave }), 404, 'NOT_FOUND');
    expectError(await w.t.request('GET', `/v1/messages/${sent.id}/history`, { token: dave }), 404, 'NOT_FOUND');
    expect((await w.t.request('GET', `/v1/messages/${sent.id}`, { token: alice })).body.message.text).toBe('mine');
  });

  it('refuses edits after the type edit window with EDIT_WINDOW_EXPIRED', async () => {
    const quick = await createChannel(w.t, alice, { type: 'quickedit', id: 'quick', members: ['bob'] });
    const sent = await sendOk(w.t, bob, quick, { text: 'typo' });
    expect((await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: bob, body: { text: 'fixed' } })).status).toBe(200);
    await w.db.query("update messages set created_at = now() - interval '61 seconds' where id = $1", [sent.id]);
    const late = await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: bob, body: { text: 'too late' } });
    expectError(late, 403, 'EDIT_WINDOW_EXPIRED');
    expect((await w.t.request('GET', `/v1/messages/${sent.id}`, { token: bob })).body.message.text).toBe('fixed');
  });
});

describe('delete', () => {
  const gone = (m: any) => {
    expect(m.type).toBe('deleted');
    expect(m.text).toBe('');
    expect(m.html).toBe('');
    expect(m.attachments).toEqual([]);
    expect(m.custom).toEqual({});
    expect(m.mentioned_users).toEqual([]);
    expect(JSON.stringify(m)).not.toContain('secret plan');
  };

  it('soft delete leaves a tombstone everywhere, the row stays for audit', async () => {
    const room = await createChannel(w.t, alice, { type: 'messaging', id: 'tombstones', members: ['bob', 'carol'] });
    const cursor = (await w.t.request('POST', '/v1/sync', { token: bob, body: {} })).body.cursor;
    const sent = await sendOk(w.t, alice, room, { text: 'the secret plan @bob', attachments: [image(7)], custom: { plan: 'secret plan' } });
    const edited = await w.t.request('PATCH', `/v1/messages/${sent.id}`, { token: alice, body: { text: 'the secret plan v2' } });
    expect(edited.status).toBe(200);

    expectError(await w.t.request('DELETE', `/v1/messages/${sent.id}`, { token: bob }), 403, 'PERMISSION_DENIED');
    expectError(await w.t.request('DELETE', `/v1/messages/${sent.id}`, { token: dave }), 404, 'NOT_FOUND');
    const del = await w.t.request('DELETE', `/v1/messages/${sent.id}`, { token: alice });
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    gone(del.body.message);
    expect(del.body.message.deleted_at).not.toBeNull();
    expectError(await w.t.request('DELETE', `/v1/messages/${sent.id}`, { token: alice }), 404, 'NOT_FOUND');

    const got = await w.t.request('GET', `/v1/messages/${sent.id}`, { token: bob });
    expect(got.status).toBe(200);
    gone(got.body.message);
    const list = await w.t.request('GET', `${room.path}/messages`, { token: bob });
    expect(list.body.messages.map((m: any) => m.id)).toEqual([sent.id]);
    gone(list.body.messages[0]);
    const state = await w.t.request('GET', room.path, { token: bob });
    gone(state.body.messages.find((m: any) => m.id === sent.id));
    const query = await w.t.request('POST', '/v1/channels/query', { token: bob, body: { filter: { cid: room.cid } } });
    expect(query.body.channels).toHaveLength(1);
    gone(query.body.channels[0].messages.at(-1));
    expect((await w.t.request('GET', `/v1/messages/${sent.id}/history`, { token: bob })).body.history).toEqual([]);

    const sync = await w.t.request('POST', '/v1/sync', { token: bob, body: { since: cursor } });
    const messageEvents = sync.body.events.filter((e: any) => e.message?.id === sent.id);
    expect(messageEvents.map((e: any) => e.type)).toEqual(['message.new', 'message.updated', 'message.deleted']);
    for (const event of messageEvents) gone(event.message);
    expect(JSON.stringify(sync.body)).not.toContain('secret plan');

    const row = await w.db.query('select text, custom, deleted_at from messages where id = $1', [sent.id]);
    expect(row.rows[0]).toMatchObject({ text: 'the secret plan v2', custom: { plan: 'secret plan' } });
    expect(row.rows[0].deleted_at).not.toBeNull();
  });

  it('hard delete is for moderators, admins and server tokens; the row is gone', async () => {
    const room = await createChannel(w.t, alice, { type: 'messaging', id: 'hard', members: ['bob'] });
    const bobs = await sendOk(w.t, bob, room, { text: 'bob says' });
    expectError(await w.t.request('DELETE', `/v1/messages/${bobs.id}?hard=true`, { token: bob }), 403, 'PERMISSION_DENIED');
    expect((await w.t.request('GET', `/v1/messages/${bobs.id}`, { token: bob })).body.message.text).toBe('bob says');

    // alice owns the channel, hence moderates it.
    const hard = await w.t.request('DELETE', `/v1/messages/${bobs.id}?hard=true`, { token: alice });
    expect(hard.status, JSON.stringify(hard.body)).toBe(200);
    expectError(await w.t.request('GET', `/v1/messages/${bobs.id}`, { token: bob }), 404, 'NOT_FOUND');
    expect((await w.db.query('select count(*)::int as n from messages where id = $1', [bobs.id])).rows[0].n).toBe(0);
    expect((await w.t.request('GET', `${room.path}/messages`, { token: bob })).body.messages).toEqual([]);

    const other = await sendOk(w.t, alice, room, { text: 'server removes this' });
    expect((await w.t.request('DELETE', `/v1/messages/${other.id}?hard=true`, { token: w.app.serverToken })).status).toBe(200);
    expectError(await w.t.request('GET', `/v1/messages/${other.id}`, { token: alice }), 404, 'NOT_FOUND');

    await w.app.upsertUsers([{ id: 'root', role: 'admin' }]);
    const root = await w.app.token('root');
    const third = await sendOk(w.t, bob, room, { text: 'admin removes this' });
    expect((await w.t.request('DELETE', `/v1/messages/${third.id}?hard=true`, { token: root })).status).toBe(200);
    expect((await w.db.query('select count(*)::int as n from messages where id = $1', [third.id])).rows[0].n).toBe(0);
  });
});
