import { In } from 'typeorm';
import { Clock, ContractEvent, ContractOutbox, Database, Logger, MAX_USAGE_CHARGES_PER_EVENT, UsageCharge, dayForPeople, detailingEvents } from '@selfcare/shared';
import { UsageChargeTotalEntity } from './entities';

/** Line-days one flush transaction takes at most. */
const FLUSH_PAGE = 500;

/**
 * Posts rated usage to billing in aggregated periods (terms 2.10, 3.3): every `windowMs` the line-days whose total
 * moved since their last posting get one ledger entry each for the difference (a CHARGE, or a REFUND when corrections
 * took more off than was added), `usage:<subscriber>:<day>:<n>`, sent as UsageCharged through the outbox in the
 * transaction that marks them posted — so balanceChanged and debt follow usage within a window, and a window's records
 * cost billing one posting per line and day however many they were. Replicas take the rows under their row locks.
 */
export class ChargeWindow {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  /** Something was rated here since the last flush: an idle window costs no statement. */
  private dirty = true;

  constructor(
    private readonly database: Database,
    private readonly outbox: ContractOutbox<typeof detailingEvents>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly windowMs: number,
  ) {}

  /** A batch with charges committed: the next window posts them. */
  rated(): void {
    this.dirty = true;
  }

  /** Starts the windows; the first one also takes what an earlier process (or replica) left pending. */
  start(): void {
    if (this.windowMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running || !this.dirty) return;
      this.dirty = false;
      this.running = this.flush()
        .catch((error) => {
          this.dirty = true;
          this.logger.warn({ err: error }, 'posting usage charges failed; trying again at the next window');
        })
        .finally(() => (this.running = null));
    }, this.windowMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Hands every pending line-day to billing now, page by page. */
  async flush(): Promise<{ lines: number; charges: number }> {
    let lines = 0;
    let charges = 0;
    for (;;) {
      const page = await this.flushPage();
      lines += page.lines;
      charges += page.charges;
      if (!page.more) return { lines, charges };
    }
  }

  private flushPage(): Promise<{ lines: number; charges: number; more: boolean }> {
    return this.database.transaction(async (manager) => {
      const candidates = await manager.find(UsageChargeTotalEntity, { select: { subscriberId: true, day: true }, where: { pending: true }, take: FLUSH_PAGE, order: { subscriberId: 'ASC', day: 'ASC' } });
      if (candidates.length === 0) return { lines: 0, charges: 0, more: false };
      // Locked, and read again: another replica may have posted them meanwhile.
      const rows = (
        await manager.find(UsageChargeTotalEntity, {
          where: { subscriberId: In([...new Set(candidates.map((c) => c.subscriberId))]), pending: true },
          ...(this.database.lockMode ? { lock: this.database.lockMode } : {}),
        })
      ).filter((row) => candidates.some((c) => c.subscriberId === row.subscriberId && c.day === row.day));
      const now = this.clock.now();
      const bySubscriber = new Map<string, UsageCharge[]>();
      for (const row of rows) {
        const amountMinor = row.ratedMinor - row.postedMinor;
        const postings = amountMinor === 0 ? row.postings : row.postings + 1;
        if (amountMinor !== 0) {
          const day = dayForPeople(row.day);
          const item: UsageCharge = {
            reference: `usage:${row.subscriberId}:${row.day}:${postings}`,
            day: row.day,
            amountMinor,
            records: row.pendingRecords,
            at: row.lastAt.toISOString(),
            description:
              amountMinor > 0
                ? { KK: `Байланыс қызметтері, ${day}`, RU: `Услуги связи за ${day}`, EN: `Usage on ${day}` }
                : { KK: `Байланыс қызметтерін қайта есептеу, ${day}`, RU: `Перерасчёт услуг связи за ${day}`, EN: `Usage re-rated, ${day}` },
          };
          bySubscriber.set(row.subscriberId, [...(bySubscriber.get(row.subscriberId) ?? []), item]);
        }
        await manager.update(UsageChargeTotalEntity, { subscriberId: row.subscriberId, day: row.day }, { postedMinor: row.ratedMinor, postings, pendingRecords: 0, pending: false, updatedAt: now });
      }
      const events: ContractEvent<typeof detailingEvents>[] = [];
      for (const [subscriberId, items] of bySubscriber) {
        for (let i = 0; i < items.length; i += MAX_USAGE_CHARGES_PER_EVENT) events.push({ type: 'UsageCharged', payload: { subscriberId, charges: items.slice(i, i + MAX_USAGE_CHARGES_PER_EVENT) } });
      }
      if (events.length) await this.outbox.addMany(manager, events);
      return { lines: rows.length, charges: events.reduce((n, e) => n + (e.type === 'UsageCharged' ? e.payload.charges.length : 0), 0), more: candidates.length === FLUSH_PAGE };
    });
  }
}
