/** `isViewing` over the presence engine: the personal-channel entries' `chan_info.viewing`. */
import { describe, expect, it } from 'vitest';
import { MemoryPresence } from '../engines/presence-memory.js';
import { isViewing, viewingOf } from './user-presence.js';

describe('isViewing', () => {
  it('is true while any connection of the user declares the channel, in that app only', async () => {
    const presence = new MemoryPresence();
    const entry = (viewing?: string) => ({ user: 'alice', conn_info: { name: 'Alice', image: null }, ...(viewing ? { chan_info: { viewing } } : {}) });
    expect(await isViewing(presence, 'app', 'alice', 'messaging:general')).toBe(false);
    await presence.add('app', 'user#alice', 'tab-1', entry('messaging:general'));
    await presence.add('app', 'user#alice', 'tab-2', entry());
    expect(await isViewing(presence, 'app', 'alice', 'messaging:general')).toBe(true);
    expect(await isViewing(presence, 'app', 'alice', 'messaging:random')).toBe(false);
    expect(await isViewing(presence, 'other-app', 'alice', 'messaging:general')).toBe(false);
    expect(await isViewing(presence, 'app', 'bob', 'messaging:general')).toBe(false);
    // A chat: subscription entry of the same channel is not "viewing".
    await presence.add('app', 'chat:messaging:random', 'tab-2', entry('messaging:random'));
    expect(await isViewing(presence, 'app', 'alice', 'messaging:random')).toBe(false);
    // Switching, then closing.
    await presence.add('app', 'user#alice', 'tab-2', entry('messaging:random'));
    expect(await isViewing(presence, 'app', 'alice', 'messaging:random')).toBe(true);
    await presence.add('app', 'user#alice', 'tab-1', entry());
    expect(await isViewing(presence, 'app', 'alice', 'messaging:general')).toBe(false);
    await presence.remove('app', 'user#alice', 'tab-2');
    expect(await isViewing(presence, 'app', 'alice', 'messaging:random')).toBe(false);
  });

  it('reads only a string viewing field', () => {
    expect(viewingOf({ viewing: 'messaging:x' })).toBe('messaging:x');
    expect(viewingOf({ viewing: 3 })).toBeNull();
    expect(viewingOf(undefined)).toBeNull();
    expect(viewingOf(null)).toBeNull();
  });
});
