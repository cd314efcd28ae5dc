import { In, IsNull, LessThan, MoreThan, MoreThanOrEqual } from 'typeorm';
import {
  Clock,
  DailyFee,
  Database,
  LinePlan,
  LinePlanAt,
  OPERATOR_APP_DATA_RULE,
  Texts,
  dailyShare,
  dayEnd,
  dayForPeople,
  dayStart,
  daysTouched,
  operatorMonth,
} from '@selfcare/shared';
import { ServiceEntity, ServiceVersionEntity, TariffPlanEntity, TariffPlanVersionEntity } from '../offers/entities';
import { ConnectedServiceEntity, SubscriberLineEntity, TariffPeriodEntity } from '../inventory/entities';
import { OfferCache } from '../offers/offer-cache';

interface Versioned {
  id: string;
  effectiveFrom: Date;
  createdAt: Date;
}

const later = (a: Versioned, b: Versioned) =>
  a.effectiveFrom.getTime() - b.effectiveFrom.getTime() || a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The version of an offer in force for a holder at `at`: the one the holder accepted, or a newer one the operator
 * put in force since (terms 2.6: a new price or new terms reach holders from the version's `effectiveFrom`), whichever is
 * later. A version accepted before its own `effectiveFrom` (sold at once, in force for earlier holders later) counts
 * from the acceptance.
 */
export function versionInForce<V extends Versioned>(versions: readonly V[], acceptedId: string, at: Date): V | null {
  let best: V | null = versions.find((v) => v.id === acceptedId) ?? null;
  for (const version of versions) {
    if (version.effectiveFrom.getTime() > at.getTime()) continue;
    if (!best || later(version, best) > 0) best = version;
  }
  return best;
}

const feeTexts = (day: string, name: Texts): Texts => ({
  KK: `${dayForPeople(day)} абоненттік төлемі: ${name.KK}`.slice(0, 200),
  RU: `Абонентская плата за ${dayForPeople(day)}: ${name.RU}`.slice(0, 200),
  EN: `Monthly fee for ${dayForPeople(day)}: ${name.EN}`.slice(0, 200),
});

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) map.set(key(row), [...(map.get(key(row)) ?? []), row]);
  return map;
}

/**
 * What the lines' history means for the other services: the plan in force at an instant (rating, allowances) and
 * each day's periodic fees (billing's fee run). Everything is computed from the tariff periods, the connections and
 * the versions, which are never rewritten: asking again about the past gets the same answer.
 */
export class PlanService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly offers: OfferCache,
  ) {}

  /** Each (line, instant)'s plan, `result[i]` for `items[i]`; a handful of statements however many items. */
  async plansAt(items: readonly { subscriberId: string; at: string }[]): Promise<(LinePlanAt | null)[]> {
    if (items.length === 0) return [];
    const manager = this.database.manager;
    const ids = [...new Set(items.map((item) => item.subscriberId))];
    const [lines, periods] = await Promise.all([
      manager.find(SubscriberLineEntity, { where: { subscriberId: In(ids) } }),
      manager.find(TariffPeriodEntity, { where: { subscriberId: In(ids) }, order: { startsAt: 'ASC', id: 'ASC' } }),
    ]);
    // The tables as of now, read after the lines: a plan or version a period names was committed before it.
    const offers = await this.offers.fresh();
    const lineById = new Map(lines.map((l) => [l.subscriberId, l]));
    const periodsByLine = groupBy(periods, (p) => p.subscriberId);
    const planById = offers.tariffs;
    const versionsByPlan = offers.tariffVersionsByPlan;
    return items.map(({ subscriberId, at: atText }) => {
      const at = new Date(atText);
      const line = lineById.get(subscriberId);
      const period = (periodsByLine.get(subscriberId) ?? []).find((p) => p.startsAt.getTime() <= at.getTime() && (!p.endsAt || at.getTime() < p.endsAt.getTime()));
      const plan = period ? planById.get(period.tariffPlanId) : undefined;
      if (!line || !period || !plan) return null;
      const version = versionInForce(versionsByPlan.get(plan.id) ?? [], period.tariffVersionId, at);
      if (!version) return null;
      const month = operatorMonth(at);
      const start = new Date(Math.max(month.start.getTime(), period.startsAt.getTime()));
      const end = new Date(Math.min(month.end.getTime(), period.endsAt?.getTime() ?? month.end.getTime()));
      const days = daysTouched(start, end);
      return {
        subscriberId,
        at: at.toISOString(),
        kind: line.kind,
        tariffCode: plan.code,
        tariffPlanId: plan.id,
        versionId: version.id,
        termsVersion: version.termsVersion,
        tariffPeriod: { start: period.startsAt.toISOString(), end: period.endsAt?.toISOString() ?? null },
        allowancePeriod: { start: start.toISOString(), end: end.toISOString() },
        allowances: version.allowances.map((a) => ({ unit: a.unit, monthlyAmount: a.amount, amount: Math.floor((a.amount * days) / month.days) })),
        rates: version.rates,
        operatorAppData: OPERATOR_APP_DATA_RULE,
      };
    });
  }

  /** The lines' plans now, in the older shape detailing reads (the monthly amounts of the version in force). */
  async plansOf(subscriberIds: readonly string[]): Promise<(LinePlan | null)[]> {
    const now = this.clock.now().toISOString();
    const [plans, lines] = await Promise.all([
      this.plansAt(subscriberIds.map((subscriberId) => ({ subscriberId, at: now }))),
      subscriberIds.length ? this.database.manager.find(SubscriberLineEntity, { where: { subscriberId: In([...subscriberIds]) } }) : [],
    ]);
    const sinceById = new Map(lines.map((l) => [l.subscriberId, l.tariffSince]));
    return plans.map((plan) =>
      plan
        ? {
            subscriberId: plan.subscriberId,
            kind: plan.kind,
            tariffCode: plan.tariffCode,
            tariffSince: (sinceById.get(plan.subscriberId) ?? new Date(plan.tariffPeriod.start)).toISOString(),
            allowances: plan.allowances.map((a) => ({ unit: a.unit, amount: a.monthlyAmount })),
          }
        : null,
    );
  }

  /**
   * The periodic fees of one Almaty day for a page of lines (by id, after `after`): the tariff each line ended the day
   * on (the day of a switch is the new tariff's), and every service connected at any moment of the day (a service
   * connected and disconnected within the day pays that day), each at the version in force at the day's end, the
   * day's share of its monthly fee. Lines whose contract ended before the day began pay nothing.
   */
  async dailyFees(day: string, after: string | null, limit: number): Promise<{ fees: DailyFee[]; nextAfter: string | null }> {
    const manager = this.database.manager;
    const start = dayStart(day);
    const end = dayEnd(day);
    const lastMoment = new Date(end.getTime() - 1);
    const afterId = MoreThan(after ?? '');
    const lines = await manager.find(SubscriberLineEntity, {
      select: { subscriberId: true },
      where: [
        { subscriberId: afterId, terminatedAt: IsNull() },
        { subscriberId: afterId, terminatedAt: MoreThan(start) },
      ],
      order: { subscriberId: 'ASC' },
      take: limit,
    });
    if (lines.length === 0) return { fees: [], nextAfter: null };
    const ids = lines.map((l) => l.subscriberId);
    const [periods, connections] = await Promise.all([
      manager.find(TariffPeriodEntity, {
        where: [
          { subscriberId: In(ids), startsAt: LessThan(end), endsAt: IsNull() },
          { subscriberId: In(ids), startsAt: LessThan(end), endsAt: MoreThanOrEqual(end) },
        ],
      }),
      manager.find(ConnectedServiceEntity, {
        where: [
          { subscriberId: In(ids), connectedAt: LessThan(end), disconnectedAt: IsNull() },
          { subscriberId: In(ids), connectedAt: LessThan(end), disconnectedAt: MoreThan(start) },
        ],
        order: { connectedAt: 'ASC', id: 'ASC' },
      }),
    ]);
    const planIds = [...new Set(periods.map((p) => p.tariffPlanId))];
    const serviceIds = [...new Set(connections.map((c) => c.serviceId))];
    const [plans, planVersions, services, serviceVersions] = await Promise.all([
      planIds.length ? manager.find(TariffPlanEntity, { where: { id: In(planIds) } }) : [],
      planIds.length ? manager.find(TariffPlanVersionEntity, { where: { tariffPlanId: In(planIds) } }) : [],
      serviceIds.length ? manager.find(ServiceEntity, { where: { id: In(serviceIds) } }) : [],
      serviceIds.length ? manager.find(ServiceVersionEntity, { where: { serviceId: In(serviceIds) } }) : [],
    ]);
    const planById = new Map(plans.map((p) => [p.id, p]));
    const serviceById = new Map(services.map((s) => [s.id, s]));
    const planVersionsOf = groupBy(planVersions, (v) => v.tariffPlanId);
    const serviceVersionsOf = groupBy(serviceVersions, (v) => v.serviceId);
    const periodByLine = new Map(periods.map((p) => [p.subscriberId, p]));
    const connectionsByLine = groupBy(connections, (c) => c.subscriberId);

    const fees: DailyFee[] = [];
    const add = (subscriberId: string, item: string, code: string, name: Texts, version: { id: string; monthlyFeeMinor: number } | null) => {
      if (!version) return;
      const amountMinor = dailyShare(version.monthlyFeeMinor, day);
      if (amountMinor <= 0) return;
      fees.push({ subscriberId, item, offerCode: code, versionId: version.id, monthlyFeeMinor: version.monthlyFeeMinor, amountMinor, description: feeTexts(day, name) });
    };
    for (const subscriberId of ids) {
      const period = periodByLine.get(subscriberId);
      const plan = period ? planById.get(period.tariffPlanId) : undefined;
      if (period && plan) add(subscriberId, `T:${plan.id}`, plan.code, plan.name, versionInForce(planVersionsOf.get(plan.id) ?? [], period.tariffVersionId, lastMoment));
      // One fee per service and day, at the version of its last connection that day.
      const lastConnection = new Map<string, ConnectedServiceEntity>();
      for (const connection of connectionsByLine.get(subscriberId) ?? []) lastConnection.set(connection.serviceId, connection);
      for (const connection of lastConnection.values()) {
        const service = serviceById.get(connection.serviceId);
        if (!service) continue;
        add(subscriberId, `S:${service.id}`, service.code, service.name, versionInForce(serviceVersionsOf.get(service.id) ?? [], connection.serviceVersionId, lastMoment));
      }
    }
    return { fees, nextAfter: lines.length === limit ? ids[ids.length - 1]! : null };
  }
}
