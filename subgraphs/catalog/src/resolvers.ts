import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { AllowPublic, GraphQLContext, RequireSubscriber, SubscriberKind } from '@selfcare/shared';
import type { OfferService } from './offers/offer-service';
import { Service, TariffPlan } from './offers/types';
import type { InventoryService } from './inventory/inventory-service';
import { ConnectedService, Subscriber } from './inventory/types';

/** Resolver classes are built per subgraph instance so they hold that instance's services (no global state). */
export function catalogResolvers(offers: OfferService, inventory: InventoryService) {
  @Resolver()
  class CatalogQueries {
    @Query(() => [TariffPlan], { description: 'Tariff plans on sale (terms 2.6: the operator manages the list)' })
    @AllowPublic()
    tariffs(@Ctx() ctx: GraphQLContext, @Arg('kind', () => SubscriberKind, { nullable: true }) kind?: SubscriberKind | null): Promise<TariffPlan[]> {
      return offers.listTariffs(ctx, kind ?? null);
    }

    @Query(() => [Service], { description: 'Services on sale (terms 2.1, 2.6)' })
    @AllowPublic()
    services(@Ctx() ctx: GraphQLContext): Promise<Service[]> {
      return offers.listServices(ctx);
    }
  }

  @Resolver(() => Subscriber)
  class SubscriberProductsResolver {
    @FieldResolver(() => TariffPlan, { nullable: true, description: 'The current tariff plan of the line' })
    @RequireSubscriber()
    tariff(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<TariffPlan | null> {
      return inventory.tariffOf(ctx, subscriber.id);
    }

    @FieldResolver(() => [ConnectedService], { description: 'Services connected to the line' })
    @RequireSubscriber()
    services(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<ConnectedService[]> {
      return inventory.connectedServicesOf(ctx, subscriber.id);
    }

    @FieldResolver(() => [Service], { description: 'terms 2.1: services the line may connect now' })
    @RequireSubscriber()
    availableServices(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<Service[]> {
      return inventory.availableServicesOf(ctx, subscriber.id);
    }
  }

  return [CatalogQueries, SubscriberProductsResolver] as const;
}
