/**
 * A channel publication is the same bytes for every connection watching the channel on this node:
 * serialise it once per broker message, not once per recipient (the fanout benchmark's server CPU
 * per delivery was mostly JSON.stringify and UTF-8 encoding of the same event, thousands of times).
 */
import type { BrokerMessage } from '../engines/broker.js';
import { hiddenEvent } from '../events/event-log.js';

const frames = new WeakMap<BrokerMessage, Buffer>();
const hiddenFrames = new WeakMap<BrokerMessage, Buffer>();

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

/** The frame a watcher who may not see `message` gets at its offset (`event.hidden`). */
export function hiddenFrame(name: string, message: BrokerMessage): Buffer {
  let frame = hiddenFrames.get(message);
  if (!frame) {
    frame = Buffer.from(JSON.stringify({ push: { channel: name, pub: { data: hiddenEvent(message.event), offset: message.offset } } }));
    hiddenFrames.set(message, frame);
  }
  return frame;
}
