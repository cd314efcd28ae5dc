import { GraphQLContext, SubgraphDefinition, buildFederatedSchema, catalogEvents, identityEvents } from '@selfcare/shared';
import { ServiceConflictEntity, ServiceEntity, ServiceRuleEntity, ServiceVersionEntity, TariffPlanEntity, TariffPlanVersionEntity } from './offers/entities';
import { CatalogChangeEntity, OfferGenerationEntity, OfferHolderJobEntity } from './offers/admin-entities';
import { ConnectedServiceEntity, SubscriberLineEntity, TariffPeriodEntity } from './inventory/entities';
import { ProductOrderEntity } from './orders/entities';
import { OfferService } from './offers/offer-service';
import { OfferCache } from './offers/offer-cache';
import { CatalogAdminService } from './offers/admin-service';
import { HolderJobs } from './offers/holder-jobs';
import { InventoryService } from './inventory/inventory-service';
import { catalogInternalRoutes } from './inventory/internal-routes';
import { PlanService } from './plans/plan-service';
import { OrderFaults, OrderService } from './orders/order-service';
import { toService, toTariffPlan } from './offers/types';
import { ConnectedService, Subscriber } from './inventory/types';
import { toProductOrder } from './orders/types';
import { catalogResolvers } from './resolvers';
import { orderResolvers } from './orders/resolvers';
import { catalogAdminResolvers } from './offers/admin-resolvers';
import { CatalogInitial1764100000000 } from './migrations/1764100000000-catalog-initial';
import { CatalogOrders1764600000000 } from './migrations/1764600000000-catalog-orders';
import { CatalogOfferGeneration1765100000000 } from './migrations/1765100000000-catalog-offer-generation';
import { seedCatalogDemo } from './seed/demo-seed';

export * from './config';
export * from './offers/entities';
export * from './offers/admin-entities';
export * from './inventory/entities';
export * from './orders/entities';
export { OfferService } from './offers/offer-service';
export { OfferCache, raiseOfferGeneration } from './offers/offer-cache';
export { InventoryService } from './inventory/inventory-service';
export { PlanService, versionInForce } from './plans/plan-service';
export { OrderService, SimulatedCrash } from './orders/order-service';
export type { OrderCrashPoint, OrderFaults } from './orders/order-service';
export { demoTariffs, demoServices } from './seed/demo-offers';
export { loadDemoOffers, seedCatalogDemo } from './seed/demo-seed';

export const catalogEntities = [
  TariffPlanEntity,
  TariffPlanVersionEntity,
  ServiceEntity,
  ServiceVersionEntity,
  ServiceRuleEntity,
  ServiceConflictEntity,
  SubscriberLineEntity,
  ConnectedServiceEntity,
  TariffPeriodEntity,
  ProductOrderEntity,
  CatalogChangeEntity,
  OfferHolderJobEntity,
  OfferGenerationEntity,
];

export const catalogMigrations = [CatalogInitial1764100000000, CatalogOrders1764600000000, CatalogOfferGeneration1765100000000];

export interface CatalogSubgraphOptions {
  /** How long a process owns an order it drives (CATALOG_ORDER_LEASE_SECONDS); default 30 s. */
  orderLeaseMs?: number;
  /** How often open orders nobody holds are taken up again (CATALOG_ORDER_RECOVERY_SECONDS); default 5 s. */
  orderRecoveryIntervalMs?: number;
  /** Holders per transaction of an operator's change (CATALOG_HOLDER_BATCH_SIZE); default 200. */
  holderBatchSize?: number;
  /** How often unfinished holder jobs are looked for (a staff operation starts its job at once); default 5 s. */
  holderJobPollMs?: number;
  /** Tests: stop a saga between two steps as a crash would. */
  faults?: OrderFaults;
}

/** What a running catalog exposes to tests and the benchmark. */
export interface CatalogSubgraph extends SubgraphDefinition {
  readonly services: { orders: OrderService; holderJobs: HolderJobs; admin: CatalogAdminService; plans: PlanService; offerCache: OfferCache };
}

/** The catalog subgraph: tariffs and services (terms 2.1, 2.2, 2.6), each line's tariff and services, and orders. */
export function createCatalogSubgraph(options: CatalogSubgraphOptions = {}): CatalogSubgraph {
  let services: CatalogSubgraph['services'] | null = null;
  return {
    name: 'catalog',
    entities: catalogEntities,
    migrations: catalogMigrations,
    get services() {
      if (!services) throw new Error('the catalog subgraph has not been set up (start it first)');
      return services;
    },
    async setup(runtime) {
      const outbox = runtime.outboxFor(catalogEvents);
      const offerCache = new OfferCache(runtime.database);
      const offers = new OfferService(runtime.database, offerCache);
      const inventory = new InventoryService(runtime.database, runtime.accessPolicy, offers, runtime.clock, runtime.logger);
      const plans = new PlanService(runtime.database, runtime.clock, offerCache);
      const leaseMs = options.orderLeaseMs ?? 30_000;
      const orders = new OrderService(runtime.database, runtime.accessPolicy, runtime.internal, outbox, runtime.clock, runtime.logger, {
        leaseMs,
        recoveryIntervalMs: options.orderRecoveryIntervalMs ?? 5_000,
        ...(options.faults ? { faults: options.faults } : {}),
      });
      const holderJobs = new HolderJobs(runtime.database, outbox, runtime.clock, runtime.logger, { batchSize: options.holderBatchSize ?? 200, pollMs: options.holderJobPollMs ?? 5_000, leaseMs });
      const admin = new CatalogAdminService(runtime.database, runtime.clock, () => void holderJobs.poke());
      services = { orders, holderJobs, admin, plans, offerCache };

      runtime.consume(identityEvents, {
        // A new line gets its tariff as soon as identity provisions it.
        SubscriberProvisioned: async (line, manager) => {
          await inventory.provision(manager, line);
        },
        // Orders need the line ACTIVE (terms 3.3); fees stop after the contract ended.
        AccessStatusChanged: async (change, manager) => {
          await inventory.accessChanged(manager, change);
        },
      });
      runtime.onStop(async () => {
        await orders.stop();
        await holderJobs.stop();
      });

      const schema = await buildFederatedSchema({
        resolvers: [...catalogResolvers(offers, inventory), ...orderResolvers(orders), ...catalogAdminResolvers(admin, runtime.database)],
        orphanedTypes: [Subscriber, ConnectedService],
        referenceResolvers: {
          Subscriber: { __resolveReference: (reference: { id: string }) => Object.assign(new Subscriber(), { id: reference.id }) },
          TariffPlan: {
            __resolveReference: async (reference: { id: string }, ctx: GraphQLContext) => {
              const row = await offers.tariff(ctx, reference.id);
              return row?.currentVersion ? toTariffPlan(row, ctx.language) : null;
            },
          },
          Service: {
            __resolveReference: async (reference: { id: string }, ctx: GraphQLContext) => {
              const row = await offers.service(ctx, reference.id);
              return row?.currentVersion ? toService(row, ctx.language) : null;
            },
          },
          ProductOrder: {
            __resolveReference: async (reference: { id: string }, ctx: GraphQLContext) => {
              const row = await orders.reference(ctx, reference.id);
              return row ? toProductOrder(row) : null;
            },
          },
        },
      });

      return {
        schema,
        routes: catalogInternalRoutes(runtime.platform.internalToken, plans),
        // The demo offers and lines, embedded default only: a distributed catalog holds what the operator published (terms 2.6).
        seed: () => seedCatalogDemo(runtime.database, runtime.clock),
        start: async () => {
          orders.start();
          holderJobs.start();
        },
      };
    },
  };
}
