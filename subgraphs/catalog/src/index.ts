import { GraphQLContext, SubgraphDefinition, buildFederatedSchema, identityEvents } from '@selfcare/shared';
import { ServiceConflictEntity, ServiceEntity, ServiceRuleEntity, ServiceVersionEntity, TariffPlanEntity, TariffPlanVersionEntity } from './offers/entities';
import { ConnectedServiceEntity, SubscriberLineEntity } from './inventory/entities';
import { OfferService } from './offers/offer-service';
import { InventoryService } from './inventory/inventory-service';
import { catalogInternalRoutes } from './inventory/internal-routes';
import { toService, toTariffPlan } from './offers/types';
import { ConnectedService, Subscriber } from './inventory/types';
import { catalogResolvers } from './resolvers';
import { CatalogInitial1764100000000 } from './migrations/1764100000000-catalog-initial';
import { seedCatalogDemo } from './seed/demo-seed';

export * from './config';
export * from './offers/entities';
export * from './inventory/entities';
export { OfferService } from './offers/offer-service';
export { InventoryService } from './inventory/inventory-service';
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
];

export const catalogMigrations = [CatalogInitial1764100000000];

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CatalogSubgraphOptions {}

/** The catalog subgraph: tariffs and services (terms 2.1, 2.2, 2.6) and each line's tariff and services. */
export function createCatalogSubgraph(_options: CatalogSubgraphOptions = {}): SubgraphDefinition {
  return {
    name: 'catalog',
    entities: catalogEntities,
    migrations: catalogMigrations,
    async setup(runtime) {
      const offers = new OfferService(runtime.database);
      const inventory = new InventoryService(runtime.database, runtime.accessPolicy, offers, runtime.clock, runtime.logger);

      // A new line gets its tariff as soon as identity provisions it.
      runtime.consume(identityEvents, {
        SubscriberProvisioned: async (line, manager) => {
          await inventory.provision(manager, line);
        },
      });

      const schema = await buildFederatedSchema({
        resolvers: [...catalogResolvers(offers, inventory)],
        orphanedTypes: [Subscriber, ConnectedService],
        referenceResolvers: {
          Subscriber: { __resolveReference: (reference: { id: string }) => Object.assign(new Subscriber(), { id: reference.id }) },
          TariffPlan: {
            __resolveReference: async (reference: { id: string }, ctx: GraphQLContext) => {
              const row = await offers.tariffLoader(ctx).load(reference.id);
              return row?.currentVersion ? toTariffPlan(row, ctx.language) : null;
            },
          },
          Service: {
            __resolveReference: async (reference: { id: string }, ctx: GraphQLContext) => {
              const row = await offers.serviceLoader(ctx).load(reference.id);
              return row?.currentVersion ? toService(row, ctx.language) : null;
            },
          },
        },
      });

      return {
        schema,
        routes: catalogInternalRoutes(runtime.platform.internalToken, inventory),
        // The demo offers and lines, embedded default only: a distributed catalog holds what the operator published (2.6).
        seed: () => seedCatalogDemo(runtime.database, runtime.clock),
      };
    },
  };
}
