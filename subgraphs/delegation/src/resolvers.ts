import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { GraphQLContext, RequireSubscriber } from '@selfcare/shared';
import type { ManagementService } from './management/management-service';
import { ManagementRequest, Subscriber } from './management/types';

/** Resolver classes are built per subgraph instance so they hold that instance's services. */
export function delegationResolvers(management: ManagementService) {
  @Resolver()
  class ManagementQueries {
    @Query(() => [ManagementRequest], { description: "terms 5.1: requests to manage the caller's number" })
    @RequireSubscriber()
    incomingManagementRequests(@Ctx() ctx: GraphQLContext): Promise<ManagementRequest[]> {
      return management.incoming(ctx);
    }

    @Query(() => [ManagementRequest], { description: 'Requests the caller sent to manage other numbers' })
    @RequireSubscriber()
    outgoingManagementRequests(@Ctx() ctx: GraphQLContext): Promise<ManagementRequest[]> {
      return management.outgoing(ctx);
    }
  }

  @Resolver(() => Subscriber)
  class SubscriberManagementResolver {
    @FieldResolver(() => [Subscriber], { description: 'Numbers this subscriber may manage now (terms 4.3)' })
    @RequireSubscriber()
    managedNumbers(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<Subscriber[]> {
      return management.managedNumbersOf(ctx, subscriber.id);
    }

    @FieldResolver(() => [ManagementRequest], { description: 'Who may manage this number now: ACTIVE grants (terms 4.4)' })
    @RequireSubscriber()
    managers(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<ManagementRequest[]> {
      return management.managersOf(ctx, subscriber.id);
    }
  }

  return [ManagementQueries, SubscriberManagementResolver] as const;
}
