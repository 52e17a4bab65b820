import type { Broker, BrokerMessage } from './broker.js';

/** In-process fan-out: the default for one node and the test double for the others. */
export class MemoryBroker implements Broker {
  private readonly topics = new Map<string, Set<(message: BrokerMessage) => void>>();

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    const handlers = this.topics.get(topic);
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        handler(message);
      } catch {
        // A failing subscriber must not affect the publisher or the others.
      }
    }
  }

  subscribe(topic: string, handler: (message: BrokerMessage) => void): () => void {
    let handlers = this.topics.get(topic);
    if (!handlers) {
      handlers = new Set();
      this.topics.set(topic, handlers);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0) this.topics.delete(topic);
    };
  }

  async close(): Promise<void> {
    this.topics.clear();
  }
}
