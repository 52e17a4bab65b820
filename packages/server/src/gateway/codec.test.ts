import { describe, expect, it } from 'vitest';
import { BadFrame, decodeFrame } from './codec.js';

describe('decodeFrame', () => {
  it('parses newline-separated commands in order, with pongs and sends', () => {
    const frame = [
      JSON.stringify({ id: 1, connect: { token: 't', data: { api_key: 'k' } } }),
      '',
      JSON.stringify({ id: 2, subscribe: { channel: 'chat:messaging:general', recover: true, offset: 5, epoch: 'e' } }),
      '{}',
      JSON.stringify({ send: { data: 1 } }),
      JSON.stringify({ id: 3, rpc: { method: 'send_message', data: { cid: 'messaging:general', text: 'hi' } } }),
    ].join('\n');
    expect(decodeFrame(frame).map((c) => [c.id, c.kind])).toEqual([
      [1, 'connect'],
      [2, 'subscribe'],
      [0, 'pong'],
      [0, 'send'],
      [3, 'rpc'],
    ]);
  });

  const bad: Array<[string, string]> = [
    ['empty', ''],
    ['malformed JSON', '{"id": 1,'],
    ['an array', '[{"id": 1, "ping": {}}]'],
    ['a number', '42'],
    ['no request', '{"id": 1}'],
    ['two requests', '{"id": 1, "ping": {}, "presence": {"channel": "chat:a:b"}}'],
    ['an unknown request', '{"id": 1, "teleport": {}}'],
    ['an unknown field', '{"id": 1, "ping": {}, "extra": true}'],
    ['no id', '{"ping": {}}'],
    ['id zero', '{"id": 0, "ping": {}}'],
    ['a fractional id', '{"id": 1.5, "ping": {}}'],
    ['a string id', '{"id": "1", "ping": {}}'],
    ['a request that is not an object', '{"id": 1, "subscribe": "chat:a:b"}'],
    ['a channel that is not a string', '{"id": 1, "subscribe": {"channel": 7}}'],
    ['an empty channel', '{"id": 1, "unsubscribe": {"channel": ""}}'],
    ['a negative offset', '{"id": 1, "subscribe": {"channel": "chat:a:b", "offset": -1}}'],
    ['a token that is not a string', '{"id": 1, "connect": {"token": 5}}'],
    ['send with an id', '{"id": 4, "send": {}}'],
    ['one bad line among good ones', '{"id": 1, "ping": {}}\nnope'],
  ];
  for (const [label, frame] of bad) {
    it(`rejects ${label}`, () => {
      expect(() => decodeFrame(frame)).toThrow(BadFrame);
    });
  }
});
