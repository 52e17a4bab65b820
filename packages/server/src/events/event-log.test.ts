import { describe, expect, it } from 'vitest';
import type { Broker, BrokerMessage } from '../engines/broker.js';
import { EventBatch } from './event-log.js';

/** A broker whose publishes stay pending until released, recording the order they were issued in. */
function slowBroker() {
  const issued: string[] = [];
  const release: Array<() => void> = [];
  const broker = {
    publish: (topic: string, _message: BrokerMessage) => {
      issued.push(topic);
      return new Promise<void>((resolve) => release.push(resolve));
    },
  } as unknown as Broker;
  return { broker, issued, release };
}

describe('EventBatch.publish', () => {
  it('issues every publish in order before waiting for any (no round trip per recipient)', async () => {
    const batch = new EventBatch('app');
    for (let i = 0; i < 5; i++) batch.notify(`user-${i}`, { type: 'notification.message_new', created_at: 'now' });
    const { broker, issued, release } = slowBroker();
    let done = false;
    const publishing = batch.publish(broker).then(() => (done = true));
    await Promise.resolve();
    expect(issued).toEqual(['app/user#user-0', 'app/user#user-1', 'app/user#user-2', 'app/user#user-3', 'app/user#user-4']);
    expect(done).toBe(false);
    for (const r of release) r();
    await publishing;
    expect(done).toBe(true);
  });
});
