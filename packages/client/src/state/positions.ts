/**
 * Where each channel's state stands in its event stream (the channel `seq`).
 *
 * - `exact`: the seq of the last event applied. The next event must be `seq + 1`; a larger one
 *   means events were missed (a gap, backfilled).
 * - a floor (not exact): the state was loaded by a read, which reflects every event up to its
 *   newest message (`maxMessageSeq`) and maybe some after it. Events at or below the floor are
 *   already in it and skipped; events above it are applied (the reducer's events carry whole
 *   objects, so the ones after the newest message converge when replayed in order).
 */
import type { ChannelState } from '@parley/protocol';

/**
 * A channel's position; see the module comment.
 *
 * @example
 * const position: Position | undefined = snapshot.positions['messaging:general']; // { seq: 42, exact: true }
 */
export interface Position {
  seq: number;
  exact: boolean;
}

/**
 * The floor of a state read from the server: its newest message's seq (0 without messages).
 *
 * @example
 * floorOf(state); // { seq: 41, exact: false }
 */
export function floorOf(state: ChannelState): Position {
  let seq = 0;
  for (const message of state.messages) if (message.seq > seq) seq = message.seq;
  return { seq, exact: false };
}

/**
 * What to do with channel event `seq` at `position`: skip it (already applied), apply it, or
 * fill a gap first.
 *
 * @example
 * classify({ seq: 10, exact: true }, 12); // 'gap'
 */
export function classify(position: Position | undefined, seq: number): 'skip' | 'apply' | 'gap' {
  if (!position) return 'apply';
  if (seq <= position.seq) return 'skip';
  if (position.exact && seq > position.seq + 1) return 'gap';
  return 'apply';
}
