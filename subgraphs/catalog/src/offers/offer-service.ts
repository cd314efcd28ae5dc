import DataLoader from 'dataloader';
import { In } from 'typeorm';
import { Database, GraphQLContext, Language, byKeys } from '@selfcare/shared';
import { ServiceConflictEntity, ServiceEntity, ServiceRuleEntity, ServiceVersionEntity, SubscriberKindValue, TariffPlanEntity } from './entities';
import { Service, TariffPlan, toService, toTariffPlan } from './types';

/** What is on sale right now, loaded once per request for availability decisions (terms 2.1, 2.6). */
export interface OfferSnapshot {
  /** Active services with a published version, in display order. */
  services: ServiceEntity[];
  rulesByService: Map<string, ServiceRuleEntity[]>;
  conflicts: Map<string, Set<string>>;
}

/** Read side of the managed catalog (terms 2.1, 2.2, 2.6). */
export class OfferService {
  constructor(private readonly database: Database) {}

  async listTariffs(kind: SubscriberKindValue | null | undefined, language: Language): Promise<TariffPlan[]> {
    const rows = await this.database.manager.find(TariffPlanEntity, {
      where: { active: true, ...(kind ? { kind } : {}) },
      relations: { currentVersion: true },
      order: { sortOrder: 'ASC', code: 'ASC' },
    });
    return rows.filter((row) => row.currentVersion).map((row) => toTariffPlan(row, language));
  }

  async listServices(language: Language): Promise<Service[]> {
    const rows = await this.database.manager.find(ServiceEntity, {
      where: { active: true },
      relations: { currentVersion: true },
      order: { sortOrder: 'ASC', code: 'ASC' },
    });
    return rows.filter((row) => row.currentVersion).map((row) => toService(row, language));
  }

  /** Tariff plans by id (withdrawn ones too: a subscriber may still be on one), with their current version. */
  tariffLoader(ctx: GraphQLContext): DataLoader<string, TariffPlanEntity | null> {
    return ctx.loaders.get('catalog.tariffById', () =>
      new DataLoader<string, TariffPlanEntity | null>(async (ids) => {
        const rows = await this.database.manager.find(TariffPlanEntity, { where: { id: In([...ids]) }, relations: { currentVersion: true } });
        return byKeys(ids, rows, (row) => row.id);
      }),
    );
  }

  serviceLoader(ctx: GraphQLContext): DataLoader<string, ServiceEntity | null> {
    return ctx.loaders.get('catalog.serviceById', () =>
      new DataLoader<string, ServiceEntity | null>(async (ids) => {
        const rows = await this.database.manager.find(ServiceEntity, { where: { id: In([...ids]) }, relations: { currentVersion: true } });
        return byKeys(ids, rows, (row) => row.id);
      }),
    );
  }

  serviceVersionLoader(ctx: GraphQLContext): DataLoader<string, ServiceVersionEntity | null> {
    return ctx.loaders.get('catalog.serviceVersionById', () =>
      new DataLoader<string, ServiceVersionEntity | null>(async (ids) => {
        const rows = await this.database.manager.find(ServiceVersionEntity, { where: { id: In([...ids]) } });
        return byKeys(ids, rows, (row) => row.id);
      }),
    );
  }

  /** The whole offer (services, rules, conflicts) once per request: three statements however many lines ask. */
  snapshot(ctx: GraphQLContext): Promise<OfferSnapshot> {
    const loader = ctx.loaders.get('catalog.offerSnapshot', () =>
      new DataLoader<'current', OfferSnapshot>(async (keys) => {
        const snapshot = await this.loadSnapshot();
        return keys.map(() => snapshot);
      }),
    );
    return loader.load('current');
  }

  private async loadSnapshot(): Promise<OfferSnapshot> {
    const manager = this.database.manager;
    const [services, rules, conflictRows] = await Promise.all([
      manager.find(ServiceEntity, { where: { active: true }, relations: { currentVersion: true }, order: { sortOrder: 'ASC', code: 'ASC' } }),
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
    return { services: services.filter((s) => s.currentVersion), rulesByService, conflicts };
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
