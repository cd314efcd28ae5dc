import DataLoader from 'dataloader';
import { Database, GraphQLContext } from '@selfcare/shared';
import { ServiceConflictEntity, ServiceEntity, ServiceRuleEntity, ServiceVersionEntity, SubscriberKindValue, TariffPlanEntity } from './entities';
import { Service, TariffPlan, toService, toTariffPlan } from './types';
import { OfferCache } from './offer-cache';

/** The catalog's display order: sort order, then code. */
const inCatalogOrder = (a: { sortOrder: number; code: string }, b: { sortOrder: number; code: string }) => a.sortOrder - b.sortOrder || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/** What is on sale right now, loaded once per request for availability decisions (terms 2.1, 2.6). */
export interface OfferSnapshot {
  /** Active services with a published version, in display order. */
  services: ServiceEntity[];
  rulesByService: Map<string, ServiceRuleEntity[]>;
  conflicts: Map<string, Set<string>>;
}

/** Read side of the managed catalog (terms 2.1, 2.2, 2.6): tariffs, services and their versions from the OfferCache. */
export class OfferService {
  constructor(
    private readonly database: Database,
    private readonly cache: OfferCache,
  ) {}

  async listTariffs(ctx: GraphQLContext, kind: SubscriberKindValue | null | undefined): Promise<TariffPlan[]> {
    const { tariffs } = await this.cache.forRequest(ctx);
    return [...tariffs.values()]
      .filter((row) => row.active && row.currentVersion && (!kind || row.kind === kind))
      .sort(inCatalogOrder)
      .map((row) => toTariffPlan(row, ctx.language));
  }

  async listServices(ctx: GraphQLContext): Promise<Service[]> {
    const { services } = await this.cache.forRequest(ctx);
    return [...services.values()]
      .filter((row) => row.active && row.currentVersion)
      .sort(inCatalogOrder)
      .map((row) => toService(row, ctx.language));
  }

  /** Tariff plans by id (withdrawn ones too: a subscriber may still be on one), with their current version. */
  async tariff(ctx: GraphQLContext, id: string): Promise<TariffPlanEntity | null> {
    return (await this.cache.forRequest(ctx)).tariffs.get(id) ?? null;
  }

  async service(ctx: GraphQLContext, id: string): Promise<ServiceEntity | null> {
    return (await this.cache.forRequest(ctx)).services.get(id) ?? null;
  }

  async serviceVersion(ctx: GraphQLContext, id: string): Promise<ServiceVersionEntity | null> {
    return (await this.cache.forRequest(ctx)).serviceVersions.get(id) ?? null;
  }

  /** The whole offer (services, rules, conflicts) once per request: three statements however many lines ask. */
  snapshot(ctx: GraphQLContext): Promise<OfferSnapshot> {
    const loader = ctx.loaders.get('catalog.offerSnapshot', () =>
      new DataLoader<'current', OfferSnapshot>(async (keys) => {
        const snapshot = await this.loadSnapshot(ctx);
        return keys.map(() => snapshot);
      }),
    );
    return loader.load('current');
  }

  private async loadSnapshot(ctx: GraphQLContext): Promise<OfferSnapshot> {
    const manager = this.database.manager;
    // The services from the request's offer tables (OfferCache); the rules and conflicts read here.
    const [{ services }, rules, conflictRows] = await Promise.all([
      this.cache.forRequest(ctx),
      manager.find(ServiceRuleEntity),
      manager.find(ServiceConflictEntity),
    ]);
    const rulesByService = new Map<string, ServiceRuleEntity[]>();
    for (const rule of rules) rulesByService.set(rule.serviceId, [...(rulesByService.get(rule.serviceId) ?? []), rule]);
    const conflicts = new Map<string, Set<string>>();
    const link = (a: string, b: string) => {
      let set = conflicts.get(a);
      if (!set) conflicts.set(a, (set = new Set()));
      set.add(b);
    };
    // Stored once per pair; it holds both ways.
    for (const row of conflictRows) {
      link(row.serviceId, row.conflictingServiceId);
      link(row.conflictingServiceId, row.serviceId);
    }
    return { services: [...services.values()].filter((s) => s.active && s.currentVersion).sort(inCatalogOrder), rulesByService, conflicts };
  }
}

/**
 * Services a line may connect now (terms 2.1): on sale, allowed for its kind and tariff by a rule, not connected
 * already, and not in conflict with a connected one.
 */
export function availableFor(
  snapshot: OfferSnapshot,
  line: { kind: SubscriberKindValue; tariffPlanId: string },
  connectedServiceIds: ReadonlySet<string>,
): ServiceEntity[] {
  return snapshot.services.filter((service) => {
    if (connectedServiceIds.has(service.id)) return false;
    const rules = snapshot.rulesByService.get(service.id) ?? [];
    const allowed = rules.some((rule) => rule.subscriberKind === line.kind && (rule.tariffPlanId === null || rule.tariffPlanId === line.tariffPlanId));
    if (!allowed) return false;
    const conflicting = snapshot.conflicts.get(service.id);
    return !conflicting || ![...conflicting].some((id) => connectedServiceIds.has(id));
  });
}
