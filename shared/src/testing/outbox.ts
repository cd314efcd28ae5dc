import { IsNull } from 'typeorm';
import type { Database } from '../db/database';
import { OutboxEventEntity } from '../events/outbox';
import { waitFor } from './wait';

/**
 * Waits until the service's outbox has handed on everything written so far: events published (on the in-process bus
 * that means every consumer has applied them), notifications sent or given up. What was not there by then was
 * never written — the way to check that nothing was published, instead of sleeping.
 */
export async function drainOutbox(database: Database, timeoutMs = 10_000): Promise<void> {
  const pending = () => database.manager.count(OutboxEventEntity, { where: { publishedAt: IsNull(), abandonedAt: IsNull() } });
  await waitFor(async () => (await pending()) === 0, timeoutMs, 'the outbox to drain');
}
