import { randomUUID } from 'node:crypto';
import { Clock, Database, demoSubscribers } from '@selfcare/shared';
import { UsageRecordEntity } from '../usage/entities';
import { demoUsageFor } from './demo-usage';

/**
 * Embedded default only: thirty days of usage for each demo line, ending at the first start.
 * Idempotent: a line that has its demo records is left alone.
 */
export async function seedDetailingDemo(database: Database, clock: Clock): Promise<void> {
  const now = clock.now();
  for (const [index, demo] of demoSubscribers.entries()) {
    await database.transaction(async (manager) => {
      if (await manager.exists(UsageRecordEntity, { where: { subscriberId: demo.id } })) return;
      const rows = demoUsageFor(demo, index, now).map((record) => ({ id: randomUUID(), subscriberId: demo.id, createdAt: now, ...record }));
      for (let i = 0; i < rows.length; i += 200) await manager.insert(UsageRecordEntity, rows.slice(i, i + 200));
    });
  }
}
