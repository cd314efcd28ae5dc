import { randomUUID } from 'node:crypto';
import { In, IsNull } from 'typeorm';
import { Clock, Database, InternalClient, Logger, addDays, dailyFees, operatorDay } from '@selfcare/shared';
import { AccountEntity, LedgerEntryKind } from '../accounts/entities';
import { LedgerService, Posting } from '../accounts/ledger-service';
import { FeeRunEntity } from './entities';

export interface FeeRunSettings {
  /** How often the run looks for days that ended (BILLING_FEE_RUN_INTERVAL_SECONDS); 0: only when asked. */
  intervalMs: number;
  /** Lines per page (one transaction each) (BILLING_FEE_RUN_PAGE_SIZE). */
  pageSize: number;
  /** How long an instance owns a day it runs before another may take it over. */
  leaseMs: number;
}

export interface FeeDayResult {
  day: string;
  lines: number;
  charged: number;
}

/**
 * The periodic-fee run: for every Almaty day that has ended, each line's fees of that day — the day's share of the
 * monthly fee of the tariff it ended the day on and of every service it held that day (catalog computes them from
 * the lines' history, shared/src/contracts/catalog-api.ts `dailyFees`) — posted as CHARGE entries with the reference
 * `fee:<day>:<item>`, so each (subscriber, item, day) is charged exactly once: a repeated run, an overlapping
 * instance (the day's lease, and the unique reference if both still try) or a catch-up after downtime (every day
 * missed, oldest first) posts nothing twice. A page's postings and the day's cursor commit together.
 * A new system starts charging with the day it first runs on (no fees for days before it).
 */
export class FeeRun {
  private readonly instanceId = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<FeeDayResult[]> | null = null;
  private stopped = false;

  constructor(
    private readonly database: Database,
    private readonly ledger: LedgerService,
    private readonly internal: InternalClient,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly settings: FeeRunSettings,
  ) {}

  /** Marks where fees begin (a new system: the day it first starts on), then runs on its interval. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.firstDueDay(addDays(operatorDay(this.clock.now()), -1));
    if (this.settings.intervalMs <= 0) return;
    const tick = () => void this.runDue().catch((error) => this.logger.warn({ err: error }, 'fee run failed; retried at the next tick'));
    this.timer = setInterval(tick, this.settings.intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Runs every day due up to `upTo` (default and at most: yesterday), oldest first; one round at a time per process. */
  runDue(upTo?: string): Promise<FeeDayResult[]> {
    if (this.running) return this.running.then(() => this.runDue(upTo));
    this.running = this.round(upTo).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async round(upTo?: string): Promise<FeeDayResult[]> {
    const yesterday = addDays(operatorDay(this.clock.now()), -1);
    const last = upTo && upTo < yesterday ? upTo : yesterday;
    const first = await this.firstDueDay(yesterday);
    const results: FeeDayResult[] = [];
    for (let day = first; day <= last && !this.stopped; day = addDays(day, 1)) {
      const result = await this.runDay(day);
      // Days are charged in order: one not finished (another instance has it, catalog unreachable) stops the round.
      if (!result) break;
      results.push(result);
    }
    return results;
  }

  /** The first day not yet done; on a system's first run, `yesterday` is marked as the day before fees begin. */
  private async firstDueDay(yesterday: string): Promise<string> {
    return this.database.transaction(async (manager) => {
      const pending = await manager.findOne(FeeRunEntity, { where: { completedAt: IsNull() }, order: { day: 'ASC' } });
      if (pending) return pending.day;
      const rows = await manager.find(FeeRunEntity, { order: { day: 'DESC' }, take: 1 });
      const latest = rows[0];
      if (latest) return addDays(latest.day, 1);
      const now = this.clock.now();
      // Two instances starting on a new database at once both try: the second one's insert is a no-op.
      await manager
        .createQueryBuilder()
        .insert()
        .into(FeeRunEntity)
        .values({ day: yesterday, afterSubscriberId: null, lines: 0, charged: 0, amountMinor: 0, skipped: true, leaseOwner: null, leaseUntil: null, startedAt: now, completedAt: now })
        .orIgnore()
        .updateEntity(false)
        .execute();
      return addDays(yesterday, 1);
    });
  }

  /** One day, page after page; null when it cannot be finished now. */
  private async runDay(day: string): Promise<FeeDayResult | null> {
    const claimed = await this.claim(day);
    if (!claimed) return null;
    if (claimed.completedAt) return { day, lines: claimed.lines, charged: claimed.charged };
    let cursor = claimed.afterSubscriberId;
    for (;;) {
      if (this.stopped) return null;
      let page;
      try {
        page = await this.internal.call(dailyFees, { day, afterSubscriberId: cursor, limit: this.settings.pageSize });
      } catch (error) {
        this.logger.warn({ err: error, day }, 'catalog did not answer the day’s fees; the run goes on later');
        return null;
      }
      let row: FeeRunEntity | null;
      try {
        row = await this.postPage(day, cursor, page.fees, page.nextAfter);
      } catch (error) {
        this.logger.error({ err: error, day }, 'fee run page failed; the day goes on later');
        return null;
      }
      if (!row) return null;
      if (row.completedAt) return { day, lines: row.lines, charged: row.charged };
      cursor = row.afterSubscriberId;
    }
  }

  /** Takes the day's lease (creating its row), unless another live instance holds it. */
  private claim(day: string): Promise<FeeRunEntity | null> {
    return this.database.transaction(async (manager) => {
      const now = this.clock.now();
      let row = await manager.findOne(FeeRunEntity, { where: { day }, lock: this.database.lockMode });
      if (!row) {
        row = manager.create(FeeRunEntity, { day, afterSubscriberId: null, lines: 0, charged: 0, amountMinor: 0, skipped: false, leaseOwner: null, leaseUntil: null, startedAt: now, completedAt: null });
        try {
          await manager.insert(FeeRunEntity, row);
        } catch (error) {
          if (this.database.isDuplicateKey(error)) return null;
          throw error;
        }
      }
      if (row.completedAt) return row;
      if (row.leaseOwner && row.leaseOwner !== this.instanceId && row.leaseUntil && row.leaseUntil.getTime() > now.getTime()) return null;
      const leaseUntil = new Date(now.getTime() + this.settings.leaseMs);
      await manager.update(FeeRunEntity, { day }, { leaseOwner: this.instanceId, leaseUntil });
      return Object.assign(row, { leaseOwner: this.instanceId, leaseUntil });
    });
  }

  /** A page's fees and the day's cursor in one transaction; null when the day moved on without this instance. */
  private postPage(day: string, cursor: string | null, fees: { subscriberId: string; item: string; amountMinor: number; description: FeeRunDescription }[], nextAfter: string | null): Promise<FeeRunEntity | null> {
    return this.database.transaction(async (manager) => {
      const row = await manager.findOne(FeeRunEntity, { where: { day }, lock: this.database.lockMode });
      if (!row || row.completedAt || row.afterSubscriberId !== cursor) return null;
      const subscriberIds = [...new Set(fees.map((f) => f.subscriberId))];
      const accounts = subscriberIds.length ? await manager.find(AccountEntity, { select: { id: true, subscriberId: true }, where: { subscriberId: In(subscriberIds) } }) : [];
      const accountOf = new Map(accounts.map((a) => [a.subscriberId, a.id]));
      const missing = subscriberIds.filter((id) => !accountOf.has(id));
      // A line billing has no account for yet (its SubscriberProvisioned still on the way): the day waits for it.
      if (missing.length) throw new Error(`fee run ${day}: no account yet for ${missing.length} line(s), e.g. ${missing[0]}`);
      const byAccount = new Map<string, Posting[]>();
      for (const fee of fees) {
        const accountId = accountOf.get(fee.subscriberId)!;
        byAccount.set(accountId, [
          ...(byAccount.get(accountId) ?? []),
          { kind: LedgerEntryKind.CHARGE, amountMinor: -fee.amountMinor, description: fee.description, reference: `fee:${day}:${fee.item}` },
        ]);
      }
      let charged = 0;
      let amountMinor = 0;
      // Accounts in id order: two transactions locking several accounts never wait on each other in a circle.
      for (const accountId of [...byAccount.keys()].sort()) {
        for (const result of await this.ledger.postMany(manager, accountId, byAccount.get(accountId)!)) {
          if (result.duplicate) continue;
          charged += 1;
          amountMinor += -result.entry.amountMinor;
        }
      }
      const now = this.clock.now();
      const done = nextAfter === null;
      const changes = {
        afterSubscriberId: nextAfter ?? cursor,
        lines: row.lines + subscriberIds.length,
        charged: row.charged + charged,
        amountMinor: row.amountMinor + amountMinor,
        leaseUntil: done ? null : new Date(now.getTime() + this.settings.leaseMs),
        leaseOwner: done ? null : this.instanceId,
        completedAt: done ? now : null,
      };
      await manager.update(FeeRunEntity, { day }, changes);
      return Object.assign(row, changes);
    });
  }
}

type FeeRunDescription = { KK: string; RU: string; EN: string };
