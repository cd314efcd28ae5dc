import type { Database } from '@selfcare/shared';
import { UsageRecordEntity } from '../usage/entities';

/** Rows per keyset page while rendering: one page in memory at a time however long the period. */
export const STATEMENT_PAGE_ROWS = 500;

/**
 * The usage records of a line in [from, to), oldest first, a page at a time by keyset (started_at, id) on the
 * (subscriber_id, started_at) index: a long period never sits in memory, and no OFFSET rescans what was read.
 */
export async function* usageRowsOf(database: Database, subscriberId: string, from: Date, to: Date, pageRows = STATEMENT_PAGE_ROWS): AsyncGenerator<UsageRecordEntity[]> {
  let after: { startedAt: Date; id: string } | null = null;
  for (;;) {
    const query = database.manager
      .createQueryBuilder(UsageRecordEntity, 'ur')
      .where('ur.subscriber_id = :subscriberId', { subscriberId })
      .andWhere('ur.started_at >= :from AND ur.started_at < :to', { from, to });
    if (after) query.andWhere('(ur.started_at > :afterAt OR (ur.started_at = :afterAt AND ur.id > :afterId))', { afterAt: after.startedAt, afterId: after.id });
    const rows = await query.orderBy('ur.started_at', 'ASC').addOrderBy('ur.id', 'ASC').take(pageRows).getMany();
    if (rows.length > 0) yield rows;
    if (rows.length < pageRows) return;
    const last = rows[rows.length - 1]!;
    after = { startedAt: last.startedAt, id: last.id };
  }
}
