import DataLoader from 'dataloader';
import {
  AccessPolicy,
  AllowanceUnit,
  Clock,
  Database,
  GraphQLContext,
  InternalClient,
  Money,
  badInput,
  decodeCursor,
  groupByKeys,
  pageSize,
  requireSubscriber,
  toConnection,
} from '@selfcare/shared';
import { AllowanceUnitValue, UsageKind, UsageRecordEntity } from './entities';
import { allowancePeriodOf, validatePeriod } from './period';
import { Allowance, UsageConnection, UsageKindTotal, UsageSummary, toUsageRecord } from './types';

/** A line's plan as the catalog's internal API gives it. */
export interface LinePlan {
  subscriberId: string;
  kind: 'MOBILE' | 'HOME_INTERNET';
  tariffCode: string;
  allowances: { unit: AllowanceUnitValue; amount: number }[];
}

export interface UsageQuery {
  from: Date;
  to: Date;
  kinds?: UsageKind[] | null;
  first?: number | null;
  after?: string | null;
}

interface UsagePage {
  subscriberId: string;
  from: Date;
  to: Date;
  kinds: UsageKind[] | null;
  limit: number;
  cursor: { at: Date; id: string } | null;
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
 * package. Every read is authorized per number (2.5, 4.3); lists are fetched for all lines of a request at once.
 */
export class UsageService {
  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly internal: InternalClient,
    private readonly clock: Clock,
  ) {}

  async usageOf(ctx: GraphQLContext, subscriberId: string, query: UsageQuery): Promise<UsageConnection> {
    validatePeriod(query.from, query.to);
    const limit = pageSize(query.first);
    const position = decodeCursor(query.after);
    if (position && (typeof position.k !== 'number' || !Number.isFinite(position.k))) throw badInput('after');
    const kinds = query.kinds ? [...new Set(query.kinds)].sort() : null;
    const rows = await this.authorized(ctx, subscriberId, () =>
      // No kinds asked for, nothing to find.
      kinds && kinds.length === 0
        ? Promise.resolve([])
        : this.usageLoader(ctx).load({
            subscriberId,
            from: query.from,
            to: query.to,
            kinds,
            limit,
            cursor: position ? { at: new Date(position.k as number), id: position.id } : null,
          }),
    );
    const connection = toConnection(rows, limit, (row) => ({ k: row.startedAt.getTime(), id: row.id }));
    return Object.assign(new UsageConnection(), {
      edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: toUsageRecord(edge.node, ctx.language) })),
      pageInfo: connection.pageInfo,
    });
  }

  async summaryOf(ctx: GraphQLContext, subscriberId: string, from: Date, to: Date): Promise<UsageSummary> {
    validatePeriod(from, to);
    const totals = await this.authorized(ctx, subscriberId, () => this.summaryLoader(ctx).load({ subscriberId, from, to }));
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
   * What is left of the tariff's package this tariff month: included amounts from the catalog, used
   * amounts from the rated records (roaming and the My Beeline app's home traffic take nothing from it, 2.10).
   */
  async allowancesOf(ctx: GraphQLContext, subscriberId: string): Promise<Allowance[]> {
    const period = allowancePeriodOf(this.clock.now());
    const { plan, used } = await this.authorized(ctx, subscriberId, async () => {
      const [plan, used] = await Promise.all([this.planLoader(ctx).load(subscriberId), this.allowanceUseLoader(ctx, period).load(subscriberId)]);
      return { plan, used };
    });
    if (!plan) return [];
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

  /**
   * The fetch runs alongside the access check so all lines of a request land in one DataLoader batch
   * whichever way their checks go; nothing is returned unless the check passes.
   */
  private async authorized<T>(ctx: GraphQLContext, subscriberId: string, fetch: () => Promise<T>): Promise<T> {
    requireSubscriber(ctx);
    const data = fetch();
    data.catch(() => undefined);
    await this.accessPolicy.assertMayManage(ctx, subscriberId);
    return data;
  }

  /** Pages of many lines with the same arguments in one statement: the newest `limit + 1` rows per line. */
  private usageLoader(ctx: GraphQLContext): DataLoader<UsagePage, UsageRecordEntity[], string> {
    const argumentsKey = (page: UsagePage) =>
      JSON.stringify([page.from.getTime(), page.to.getTime(), page.kinds, page.limit, page.cursor ? [page.cursor.at.getTime(), page.cursor.id] : null]);
    return ctx.loaders.get('detailing.usagePage', () =>
      new DataLoader<UsagePage, UsageRecordEntity[], string>(
        async (pages) => {
          const groups = new Map<string, UsagePage[]>();
          for (const page of pages) groups.set(argumentsKey(page), [...(groups.get(argumentsKey(page)) ?? []), page]);
          const result = new Map<UsagePage, UsageRecordEntity[]>();
          await Promise.all(
            [...groups.values()].map(async (group) => {
              const { from, to, kinds, limit, cursor } = group[0]!;
              const ids = [...new Set(group.map((p) => p.subscriberId))];
              const conditions = ['ur.subscriber_id IN (:...ids)', 'ur.started_at >= :from', 'ur.started_at < :to'];
              if (kinds) conditions.push('ur.kind IN (:...kinds)');
              if (cursor) conditions.push('(ur.started_at < :cursorAt OR (ur.started_at = :cursorAt AND ur.id < :cursorId))');
              const ranked =
                'SELECT ranked.id FROM (SELECT ur.id AS id, ROW_NUMBER() OVER (PARTITION BY ur.subscriber_id ORDER BY ur.started_at DESC, ur.id DESC) AS rn ' +
                `FROM usage_records ur WHERE ${conditions.join(' AND ')}) ranked WHERE ranked.rn <= :take`;
              const rows = await this.database.manager
                .createQueryBuilder(UsageRecordEntity, 'record')
                .where(`record.id IN (${ranked})`, {
                  ids,
                  from,
                  to,
                  kinds,
                  cursorAt: cursor?.at ?? null,
                  cursorId: cursor?.id ?? null,
                  take: limit + 1,
                })
                .orderBy('record.startedAt', 'DESC')
                .addOrderBy('record.id', 'DESC')
                .getMany();
              const perLine = groupByKeys(ids, rows, (row) => row.subscriberId);
              for (const page of group) result.set(page, perLine[ids.indexOf(page.subscriberId)]!);
            }),
          );
          return pages.map((page) => result.get(page) ?? []);
        },
        { cacheKeyFn: (page) => `${page.subscriberId}:${argumentsKey(page)}` },
      ),
    );
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
    return ctx.loaders.get(`detailing.allowanceUse:${period.start.getTime()}`, () =>
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

  /** Plans of all lines of a request in one call to the catalog's internal API. */
  private planLoader(ctx: GraphQLContext): DataLoader<string, LinePlan | null> {
    return ctx.loaders.get('detailing.plan', () =>
      new DataLoader<string, LinePlan | null>(async (ids) => {
        const answer = await this.internal.post<{ plans: (LinePlan | null)[] }>('catalog', '/internal/subscribers/plans', { subscriberIds: ids });
        return ids.map((_, i) => answer.plans[i] ?? null);
      }, { maxBatchSize: 500 }), // the catalog's internal API takes at most 500 ids per call
    );
  }
}
