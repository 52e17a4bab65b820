/**
 * Makes a channel state read from the server self-consistent before it enters the store.
 *
 * The server reads a state's parts (messages, own membership, unread counts) with separate
 * queries; a message committed between them can be in `messages` but not in `unread_count` (or
 * the reverse). Since the store then stands at the newest message, such a message would never be
 * counted. When the loaded window holds every message after the read pointer, the counts are
 * recomputed from the window with the reducer's own rule (`countsAsUnread`); otherwise the
 * server's counts stand.
 */
import { countsAsUnread, type ChannelState } from '@parley/protocol';

/**
 * The state with `unread_count` / `unread_mentions` derived from its messages when they cover
 * everything unread.
 *
 * @example
 * const consistent = withConsistentUnread(await client.channels.get(cid), 'alice');
 */
export function withConsistentUnread(state: ChannelState, me: string | null): ChannelState {
  const membership = state.membership;
  if (!membership || !me) return state;
  const oldest = state.messages[0];
  const covers = !state.has_more_before || (oldest !== undefined && oldest.seq <= membership.last_read_seq + 1);
  if (!covers) return state;
  let unread = 0;
  let mentions = 0;
  for (const message of state.messages) {
    if (message.seq <= membership.last_read_seq || !countsAsUnread(message, me)) continue;
    unread++;
    if (message.mentioned_users.some((u) => u.id === me)) mentions++;
  }
  return unread === state.unread_count && mentions === state.unread_mentions ? state : { ...state, unread_count: unread, unread_mentions: mentions };
}
