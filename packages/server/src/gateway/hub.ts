/**
 * One broker subscription per topic per node, shared by every local listener of the topic
 * (connections watching the same channel, the same user's tabs). The broker already fans out
 * locally; the hub keeps the transport subscription count at one per topic and gives each
 * listener the broker's `ready` promise.
 */
import type { Broker, BrokerMessage, Unsubscribe } from '../engines/broker.js';

export type Listener = (message: BrokerMessage) => void;

interface Topic {
  listeners: Set<Listener>;
  unsubscribe: Unsubscribe;
}

export class Hub {
  private readonly topics = new Map<string, Topic>();

  constructor(private readonly broker: Broker) {}

  /** Adds a listener; the promise resolves when publications from every node reach it. */
  add(topic: string, listener: Listener): Promise<void> {
    let entry = this.topics.get(topic);
    if (!entry) {
      const listeners = new Set<Listener>();
      const unsubscribe = this.broker.subscribe(topic, (message) => {
        for (const l of [...listeners]) {
          try {
            l(message);
          } catch {
            // One listener's failure must not affect the others (listeners do not throw by design).
          }
        }
      });
      entry = { listeners, unsubscribe };
      this.topics.set(topic, entry);
    }
    entry.listeners.add(listener);
    return entry.unsubscribe.ready;
  }

  remove(topic: string, listener: Listener): void {
    const entry = this.topics.get(topic);
    if (!entry || !entry.listeners.delete(listener)) return;
    if (entry.listeners.size === 0) {
      this.topics.delete(topic);
      entry.unsubscribe();
    }
  }

  /** Topics with at least one listener (metrics, tests). */
  size(): number {
    return this.topics.size;
  }

  clear(): void {
    for (const entry of this.topics.values()) entry.unsubscribe();
    this.topics.clear();
  }
}
