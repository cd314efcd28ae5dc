import DataLoader from 'dataloader';
import {
  AccessPolicy,
  AllowanceUnit,
  Clock,
  Database,
  GraphQLContext,
  InternalClient,
  KeysetPages,
  LinePlanAt,
  MAX_PLANS_AT,
  Money,
  addDays,
  groupByKeys,
  linePlansAt,
  operatorDay,
} from '@selfcare/shared';
import { UsageDay } from '../ingest/types';
import { AllowanceUnitValue, UsageKind, UsageRecordEntity } from './entities';
import { validatePeriod } from './period';
import { Allowance, UsageConnection, UsageKindTotal, UsageSummary, toUsageRecord } from './types';

export interface UsageQuery {
  from: Date;
  to: Date;
  kinds?: UsageKind[] | null;
  first?: number | null;
  after?: string | null;
}

/** What the pages of one statement share besides limit and cursor. */
interface UsageFilter {
  from: Date;
  to: Date;
  /** null: every kind */
  kinds: UsageKind[] | null;
}

interface ByDayKey {
  subscriberId: string;
  from: Date;
  to: Date;
  kinds: UsageKind[] | null;
}

interface DayTotalsRow {
  subscriberId: string;
  day: string;
  count: number;
  seconds: number;
  bytes: number;
  chargeMinor: number;
}

interface KindTotalsRow {
  subscriberId: string;
  kind: UsageKind;
  count: number;
  seconds: number;
  bytes: number;
  chargeMinor: number;
}

const KIND_ORDER = [UsageKind.CALL, UsageKind.SMS, UsageKind.DATA, UsageKind.CHARGE];
const UNIT_ORDER: AllowanceUnitValue[] = ['MINUTES', 'SMS', 'MEGABYTES'];

/** mysql2 returns SUM/COUNT as strings, SQLite as numbers. */
const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

/**
 * Detailing of a line (terms 2.1): itemized usage of a period, its totals, and what is left of the tariff's
 * package. Every read is authorized per number (terms 2.5, 4.3); lists are fetched for all lines of a request at once.
 */
export class UsageService {
  /** Newest first by start time; lines paged with the same period, kinds, size and cursor share one statement. */
  private readonly usagePages: KeysetPages<UsageRecordEntity, UsageFilter>;

  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly internal: InternalClient,
    private readonly clock: Clock,
  ) {
    this.usagePages = new KeysetPages<UsageRecordEntity, UsageFilter>({
      name: 'detailing.usage',
      entity: UsageRecordEntity,
      manager: () => this.database.manager,
      parent: 'subscriberId',
      sortBy: 'startedAt',
      sortKind: 'timestamp',
      order: 'NEWEST_FIRST',
      filter: {
        key: (f) => JSON.stringify([f.from.getTime(), f.to.getTime(), f.kinds]),
        where: (f, column) => {
          const period = `${column('startedAt')} >= :from AND ${column('startedAt')} < :to`;
          // `kinds: []` asks for no kind at all: nothing to find.
          const kinds = f.kinds === null ? '' : f.kinds.length === 0 ? ' AND 1 = 0' : ` AND ${column('kind')} IN (:...kinds)`;
          return { sql: period + kinds, params: { from: f.from, to: f.to, ...(f.kinds?.length ? { kinds: f.kinds } : {}) } };
        },
      },
    });
  }

  async usageOf(ctx: GraphQLContext, subscriberId: string, query: UsageQuery): Promise<UsageConnection> {
    validatePeriod(query.from, query.to);
    const kinds = query.kinds ? [...new Set(query.kinds)].sort() : null;
    const page = await this.accessPolicy.whenMayManage(ctx, subscriberId, () =>
      this.usagePages.load(ctx, {
        parent: subscriberId,
        first: query.first,
        after: query.after,
        filter: { from: query.from, to: query.to, kinds },
      }),
    );
    // Whoever is not the number's own subscriber here reads it through a grant (AccessPolicy let them through).
    const masked = ctx.caller?.kind !== 'subscriber' || ctx.caller.subscriberId !== subscriberId;
    return UsageConnection.from(page, (row) => toUsageRecord(row, ctx.language, masked));
  }

  /**
   * terms 2.1: the period's usage per calendar day in Asia/Almaty (UTC+5, no daylight saving): every day [from, to)
   * touches, oldest first, days without usage too; an edge day counts only its part inside the period.
   */
  async usageByDayOf(ctx: GraphQLContext, subscriberId: string, query: { from: Date; to: Date; kinds?: UsageKind[] | null }): Promise<UsageDay[]> {
    validatePeriod(query.from, query.to);
    const kinds = query.kinds ? [...new Set(query.kinds)].sort() : null;
    const rows = await this.accessPolicy.whenMayManage(ctx, subscriberId, () => this.byDayLoader(ctx).load({ subscriberId, from: query.from, to: query.to, kinds }));
    const found = new Map(rows.map((r) => [r.day, r]));
    const days: UsageDay[] = [];
    for (let day = operatorDay(query.from), last = operatorDay(new Date(query.to.getTime() - 1)); day <= last; day = addDays(day, 1)) {
      const row = found.get(day);
      days.push(Object.assign(new UsageDay(), { day, count: row?.count ?? 0, seconds: row?.seconds ?? 0, bytes: row?.bytes ?? 0, charge: Money.fromMinor(row?.chargeMinor ?? 0) }));
    }
    return days;
  }

  /** Day totals of many lines with one period and kinds in one GROUP BY; the day is the Almaty date of started_at. */
  private byDayLoader(ctx: GraphQLContext): DataLoader<ByDayKey, DayTotalsRow[], string> {
    const groupKey = (key: ByDayKey) => JSON.stringify([key.from.getTime(), key.to.getTime(), key.kinds]);
    const dayOf = this.database.dialect === 'mariadb' ? "DATE_FORMAT(DATE_ADD(ur.started_at, INTERVAL 5 HOUR), '%Y-%m-%d')" : "substr(datetime(ur.started_at, '+5 hours'), 1, 10)";
    return ctx.loaders.get('detailing.byDay', () =>
      new DataLoader<ByDayKey, DayTotalsRow[], string>(
        async (keys) => {
          const groups = new Map<string, ByDayKey[]>();
          for (const key of keys) groups.set(groupKey(key), [...(groups.get(groupKey(key)) ?? []), key]);
          const result = new Map<string, DayTotalsRow[]>();
          await Promise.all(
            [...groups.values()].map(async (group) => {
              const { from, to, kinds } = group[0]!;
              const ids = [...new Set(group.map((k) => k.subscriberId))];
              if (kinds !== null && kinds.length === 0) return;
              const query = this.database.manager
                .createQueryBuilder(UsageRecordEntity, 'ur')
                .select('ur.subscriber_id', 'subscriberId')
                .addSelect(dayOf, 'day')
                .addSelect('COUNT(*)', 'count')
                .addSelect('COALESCE(SUM(ur.seconds), 0)', 'seconds')
                .addSelect('COALESCE(SUM(ur.bytes), 0)', 'bytes')
                .addSelect('COALESCE(SUM(ur.charge_minor), 0)', 'chargeMinor')
                .where('ur.subscriber_id IN (:...ids)', { ids })
                .andWhere('ur.started_at >= :from AND ur.started_at < :to', { from, to });
              if (kinds !== null) query.andWhere('ur.kind IN (:...kinds)', { kinds });
              const raw = await query.groupBy('ur.subscriber_id').addGroupBy(dayOf).getRawMany<Record<string, unknown>>();
              for (const r of raw) {
                const row = { subscriberId: String(r.subscriberId), day: String(r.day), count: num(r.count), seconds: num(r.seconds), bytes: num(r.bytes), chargeMinor: num(r.chargeMinor) };
                const key = `${row.subscriberId}:${groupKey(group[0]!)}`;
                result.set(key, [...(result.get(key) ?? []), row]);
              }
            }),
          );
          return keys.map((key) => result.get(`${key.subscriberId}:${groupKey(key)}`) ?? []);
        },
        { cacheKeyFn: (key) => `${key.subscriberId}:${groupKey(key)}` },
      ),
    );
  }

  async summaryOf(ctx: GraphQLContext, subscriberId: string, from: Date, to: Date): Promise<UsageSummary> {
    validatePeriod(from, to);
    const totals = await this.accessPolicy.whenMayManage(ctx, subscriberId, () => this.summaryLoader(ctx).load({ subscriberId, from, to }));
    const byKind = KIND_ORDER.map((kind) => {
      const row = totals.find((t) => t.kind === kind);
      return Object.assign(new UsageKindTotal(), {
        kind,
        count: row?.count ?? 0,
        seconds: row?.seconds ?? 0,
        bytes: row?.bytes ?? 0,
        charge: Money.fromMinor(row?.chargeMinor ?? 0),
      });
    });
    return Object.assign(new UsageSummary(), {
      from,
      to,
      total: Money.fromMinor(totals.reduce((sum, t) => sum + t.chargeMinor, 0)),
      byKind,
    });
  }

  /**
   * What is left of the tariff's package in the line's allowance period now (catalog's plan at this instant: the
   * Almaty month cut at a tariff switch, its amounts pro rata): used amounts from the rated records of that period
   * (roaming and the My Beeline app's home traffic take nothing from it, terms 2.10).
   */
  async allowancesOf(ctx: GraphQLContext, subscriberId: string): Promise<Allowance[]> {
    const found = await this.accessPolicy.whenMayManage(ctx, subscriberId, async () => {
      const plan = await this.planLoader(ctx).load(subscriberId);
      if (!plan) return null;
      const period = { start: new Date(plan.allowancePeriod.start), end: new Date(plan.allowancePeriod.end) };
      return { plan, period, used: await this.allowanceUseLoader(ctx, period).load(subscriberId) };
    });
    if (!found) return [];
    const { plan, period, used } = found;
    return [...plan.allowances]
      .sort((a, b) => UNIT_ORDER.indexOf(a.unit) - UNIT_ORDER.indexOf(b.unit))
      .map((spec) => {
        const usedAmount = used.get(spec.unit) ?? 0;
        return Object.assign(new Allowance(), {
          unit: spec.unit as AllowanceUnit,
          included: spec.amount,
          used: usedAmount,
          left: Math.max(spec.amount - usedAmount, 0),
          periodEnd: period.end,
        });
      });
  }

  private summaryLoader(ctx: GraphQLContext): DataLoader<{ subscriberId: string; from: Date; to: Date }, KindTotalsRow[], string> {
    type Key = { subscriberId: string; from: Date; to: Date };
    const periodKey = (key: Key) => `${key.from.getTime()}:${key.to.getTime()}`;
    return ctx.loaders.get('detailing.summary', () =>
      new DataLoader<Key, KindTotalsRow[], string>(
        async (keys) => {
          const groups = new Map<string, Key[]>();
          for (const key of keys) groups.set(periodKey(key), [...(groups.get(periodKey(key)) ?? []), key]);
          const result = new Map<Key, KindTotalsRow[]>();
          await Promise.all(
            [...groups.values()].map(async (group) => {
              const { from, to } = group[0]!;
              const ids = [...new Set(group.map((k) => k.subscriberId))];
              const raw = await this.database.manager
                .createQueryBuilder(UsageRecordEntity, 'ur')
                .select('ur.subscriber_id', 'subscriberId')
                .addSelect('ur.kind', 'kind')
                .addSelect('COUNT(*)', 'count')
                .addSelect('COALESCE(SUM(ur.seconds), 0)', 'seconds')
                .addSelect('COALESCE(SUM(ur.bytes), 0)', 'bytes')
                .addSelect('COALESCE(SUM(ur.charge_minor), 0)', 'chargeMinor')
                .where('ur.subscriber_id IN (:...ids)', { ids })
                .andWhere('ur.started_at >= :from AND ur.started_at < :to', { from, to })
                .groupBy('ur.subscriber_id')
                .addGroupBy('ur.kind')
                .getRawMany<Record<string, unknown>>();
              const rows: KindTotalsRow[] = raw.map((r) => ({
                subscriberId: String(r.subscriberId),
                kind: r.kind as UsageKind,
                count: num(r.count),
                seconds: num(r.seconds),
                bytes: num(r.bytes),
                chargeMinor: num(r.chargeMinor),
              }));
              const perLine = groupByKeys(ids, rows, (row) => row.subscriberId);
              for (const key of group) result.set(key, perLine[ids.indexOf(key.subscriberId)]!);
            }),
          );
          return keys.map((key) => result.get(key) ?? []);
        },
        { cacheKeyFn: (key) => `${key.subscriberId}:${periodKey(key)}` },
      ),
    );
  }

  /** Amounts taken from the package this period, per line and unit. */
  private allowanceUseLoader(ctx: GraphQLContext, period: { start: Date; end: Date }): DataLoader<string, Map<string, number>> {
    return ctx.loaders.get(`detailing.allowanceUse:${period.start.getTime()}:${period.end.getTime()}`, () =>
      new DataLoader<string, Map<string, number>>(async (ids) => {
        const raw = await this.database.manager
          .createQueryBuilder(UsageRecordEntity, 'ur')
          .select('ur.subscriber_id', 'subscriberId')
          .addSelect('ur.allowance_unit', 'unit')
          .addSelect('COALESCE(SUM(ur.allowance_used), 0)', 'used')
          .where('ur.subscriber_id IN (:...ids)', { ids: [...ids] })
          .andWhere('ur.started_at >= :start AND ur.started_at < :end', period)
          .andWhere('ur.allowance_unit IS NOT NULL')
          .groupBy('ur.subscriber_id')
          .addGroupBy('ur.allowance_unit')
          .getRawMany<Record<string, unknown>>();
        const perLine = groupByKeys(ids, raw, (r) => String(r.subscriberId));
        return perLine.map((rows) => new Map(rows.map((r) => [String(r.unit), num(r.used)])));
      }),
    );
  }

  /** Plans now of all lines of a request in one call to the catalog's internal API (shared/src/contracts/catalog-api.ts). */
  private planLoader(ctx: GraphQLContext): DataLoader<string, LinePlanAt | null> {
    return ctx.loaders.get('detailing.plan', () =>
      new DataLoader<string, LinePlanAt | null>(async (ids) => {
        const at = this.clock.now().toISOString();
        const answer = await this.internal.call(linePlansAt, { items: ids.map((subscriberId) => ({ subscriberId, at })) });
        return ids.map((_, i) => answer.plans[i] ?? null);
      }, { maxBatchSize: MAX_PLANS_AT }),
    );
  }
}
