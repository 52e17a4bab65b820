import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, messageJson, type BrokerMessage } from './broker.js';

describe('messageJson', () => {
  it('is the message as JSON, whatever optional fields it has', () => {
    const event = { type: 'message.new', created_at: '2026-11-21T00:00:00.000Z', text: 'quote " and \\u2028 and emoji 🎉' };
    const variants: BrokerMessage[] = [
      { appId: 'a', event },
      { appId: 'a', event, offset: 7 },
      { appId: 'a', event, offset: 7, visibleTo: 'bob', origin: 'node-1' },
    ];
    for (const message of variants) {
      expect(JSON.parse(messageJson(message))).toEqual(JSON.parse(JSON.stringify(message)));
      expect(decodeEnvelope(encodeEnvelope('n1', message))).toEqual(JSON.parse(JSON.stringify(message)));
    }
  });

  it('one event published to many topics keeps its own envelope fields per message', () => {
    const event = { type: 'notification.message_new', created_at: '2026-11-21T00:00:00.000Z' };
    expect(JSON.parse(messageJson({ appId: 'a', event }))).toEqual({ appId: 'a', event });
    expect(JSON.parse(messageJson({ appId: 'b', event, offset: 3 }))).toEqual({ appId: 'b', event, offset: 3 });
  });

  it('still refuses what is not JSON', () => {
    const event: Record<string, unknown> & { type: string } = { type: 'x' };
    event.self = event;
    expect(() => messageJson({ appId: 'a', event })).toThrow();
  });
});
