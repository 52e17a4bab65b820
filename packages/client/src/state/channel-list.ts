/** The channel list order: most recent activity first, stable. */
import type { ChannelState } from '@parley/protocol';

/**
 * The activity time of a channel: its last message, or its creation.
 *
 * @example
 * activityOf(state); // '2026-01-02T10:00:00.000Z'
 */
export function activityOf(state: ChannelState): string {
  return state.channel.last_message_at ?? state.channel.created_at;
}

/**
 * Cids of the visible channels (not hidden, not deleted), most recent activity first; ties by cid.
 *
 * @example
 * sortChannelList(snapshot.channels); // ['messaging:b', 'messaging:a']
 */
export function sortChannelList(channels: Readonly<Record<string, ChannelState>>): string[] {
  return Object.values(channels)
    .filter((state) => !state.membership?.hidden && !state.channel.deleted_at)
    .sort((a, b) => {
      const x = activityOf(a);
      const y = activityOf(b);
      if (x !== y) return x < y ? 1 : -1;
      return a.channel.cid < b.channel.cid ? -1 : a.channel.cid > b.channel.cid ? 1 : 0;
    })
    .map((state) => state.channel.cid);
}
