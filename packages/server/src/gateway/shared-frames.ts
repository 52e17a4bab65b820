/**
 * A channel publication is the same bytes for every connection watching the channel on this node:
 * serialise it once per broker message, not once per recipient (the fanout benchmark's server CPU
 * per delivery was mostly JSON.stringify and UTF-8 encoding of the same event, thousands of times).
 */
import type { BrokerMessage } from '../engines/broker.js';

const frames = new WeakMap<BrokerMessage, Buffer>();

/** The push frame of `message` on channel `name` (one topic per channel, so one name per message). */
export function publicationFrame(name: string, message: BrokerMessage): Buffer {
  let frame = frames.get(message);
  if (!frame) {
    const pub = message.offset === undefined ? { data: message.event } : { data: message.event, offset: message.offset };
    frame = Buffer.from(JSON.stringify({ push: { channel: name, pub } }));
    frames.set(message, frame);
  }
  return frame;
}
