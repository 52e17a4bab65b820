import type pg from 'pg';
import { inChannelTransaction } from '../db/channel-lock.js';
import { EventBatch } from '../events/event-log.js';
import type { AppAuth } from '../http/guards.js';
import type { Services } from '../services.js';
import { accessChannel, type ChannelContext } from './access.js';

/**
 * The spine of every channel write: lock the channel, load it for the caller (access), run the
 * change and append its events in one transaction, publish the events after commit.
 */
export async function writeChannel<T>(
  services: Services,
  auth: AppAuth,
  type: string,
  id: string,
  change: (tx: pg.PoolClient, context: ChannelContext, events: EventBatch) => Promise<T>,
): Promise<T> {
  const events = new EventBatch(auth.appId);
  const result = await inChannelTransaction(services.pool, auth.appId, type, id, async (tx) => {
    const context = await accessChannel(services, tx, auth, type, id);
    return change(tx, context, events);
  });
  await events.publish(services.broker);
  return result;
}
