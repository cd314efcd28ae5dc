import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { Database, GraphQLContext } from '@selfcare/shared';
import { OfferGenerationEntity } from './admin-entities';
import { ServiceEntity, ServiceVersionEntity, TariffPlanEntity, TariffPlanVersionEntity } from './entities';

/** The offer side of the catalog as of one generation. Shared between requests: read, never change. */
export interface OfferTables {
  readonly generation: number;
  /** Every tariff plan (withdrawn and obsolete ones too), with its current version. */
  readonly tariffs: ReadonlyMap<string, TariffPlanEntity>;
  readonly tariffVersionsByPlan: ReadonlyMap<string, readonly TariffPlanVersionEntity[]>;
  /** Every service, with its current version. */
  readonly services: ReadonlyMap<string, ServiceEntity>;
  readonly serviceVersions: ReadonlyMap<string, ServiceVersionEntity>;
}

/** Raises the offers' generation: in the transaction of every change of tariffs, services or their versions. */
export async function raiseOfferGeneration(manager: EntityManager): Promise<void> {
  await manager.increment(OfferGenerationEntity, { id: 1 }, 'generation', 1);
}

/**
 * Tariffs, services and their versions in memory, checked against the offers' generation with one statement per
 * request instead of read each time: the home screen asked catalog for the line's tariff, its services and their
 * versions, and detailing for the line's plan, five statements a request on tables that change when staff publish
 * (bench/cabinet.js). Consistent, not eventually: the generation is read first and every change raises it in its
 * own transaction, so the tables read after it hold every change up to it (a change committed meanwhile makes the
 * next request read them again). Another replica's change is seen at the next request as well.
 */
export class OfferCache {
  private current: OfferTables | null = null;
  private loading: { generation: number; tables: Promise<OfferTables> } | null = null;
  /** Loads of the tables so far (metrics, tests). */
  loads = 0;

  constructor(private readonly database: Database) {}

  /** The tables for this request: one generation read per request however many fields ask. */
  forRequest(ctx: GraphQLContext): Promise<OfferTables> {
    const loader = ctx.loaders.get('catalog.offerTables', () => new DataLoader<'now', OfferTables>(async (keys) => {
      const tables = await this.fresh();
      return keys.map(() => tables);
    }));
    return loader.load('now');
  }

  /** The tables as of the generation now committed (internal routes, which have no request context). */
  async fresh(): Promise<OfferTables> {
    const row = await this.database.manager.findOne(OfferGenerationEntity, { where: { id: 1 } });
    const generation = row?.generation ?? 0;
    if (this.current && this.current.generation >= generation) return this.current;
    if (this.loading && this.loading.generation >= generation) return this.loading.tables;
    const tables = this.load(generation);
    const loading = { generation, tables };
    this.loading = loading;
    try {
      return await tables;
    } finally {
      if (this.loading === loading) this.loading = null;
    }
  }

  private async load(generation: number): Promise<OfferTables> {
    this.loads += 1;
    const manager = this.database.manager;
    const [tariffs, tariffVersions, services, serviceVersions] = await Promise.all([
      manager.find(TariffPlanEntity, { relations: { currentVersion: true } }),
      manager.find(TariffPlanVersionEntity),
      manager.find(ServiceEntity, { relations: { currentVersion: true } }),
      manager.find(ServiceVersionEntity),
    ]);
    const versionsByPlan = new Map<string, TariffPlanVersionEntity[]>();
    for (const version of tariffVersions) {
      const versions = versionsByPlan.get(version.tariffPlanId);
      if (versions) versions.push(version);
      else versionsByPlan.set(version.tariffPlanId, [version]);
    }
    const tables: OfferTables = {
      generation,
      tariffs: new Map(tariffs.map((t) => [t.id, t])),
      tariffVersionsByPlan: versionsByPlan,
      services: new Map(services.map((s) => [s.id, s])),
      serviceVersions: new Map(serviceVersions.map((v) => [v.id, v])),
    };
    if (!this.current || this.current.generation <= generation) this.current = tables;
    return tables;
  }
}
