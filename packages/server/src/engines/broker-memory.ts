import { LocalSubscribers, messageJson, ReconnectListeners, unsubscribeWith, type Broker, type BrokerHandler, type BrokerMessage, type BrokerOptions, type Unsubscribe } from './broker.js';

/** In-process fan-out: the default for one node and the test double for the others. */
export class MemoryBroker implements Broker {
  private readonly local: LocalSubscribers;
  private readonly reconnects: ReconnectListeners;
  private closed = false;

  constructor(options: BrokerOptions = {}) {
    this.local = new LocalSubscribers(options.log);
    this.reconnects = new ReconnectListeners(options.log);
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    if (this.closed) return;
    // What the network engines would send: a message that is not JSON fails here too.
    messageJson(message);
    this.local.deliver(topic, message);
  }

  subscribe(topic: string, handler: BrokerHandler): Unsubscribe {
    if (this.closed) return unsubscribeWith(() => {}, Promise.resolve());
    const { remove } = this.local.add(topic, handler);
    return unsubscribeWith(() => void remove(), Promise.resolve());
  }

  /** Memory never loses its "connection": listeners are never called. */
  onReconnect(listener: () => void): () => void {
    return this.reconnects.add(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.local.clear();
    this.reconnects.clear();
  }
}
