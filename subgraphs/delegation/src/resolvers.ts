import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { GraphQLContext, PhoneNumberScalar, RequireSubscriber } from '@selfcare/shared';
import { FeedKind } from './management/entities';
import type { ManagementFeed } from './management/feed';
import type { ManagementService } from './management/management-service';
import type { ManagementProcedure } from './management/procedure';
import { ManagementRequest, Subscriber } from './management/types';

/** The contract's argument order (an ArgsType keeps declaration order). */
@ArgsType()
export class ActivationArgs {
  @Field(() => ID)
  requestId: string;

  @Field(() => String)
  activationCode: string;
}

/** Resolver classes are built per subgraph instance so they hold that instance's services. */
export function delegationResolvers(management: ManagementService, procedure: ManagementProcedure, feed: ManagementFeed) {
  const present = (row: Parameters<ManagementService['toGraphQL']>[0], as?: Parameters<ManagementService['toGraphQL']>[1]) => management.toGraphQL(row, as);

  @Resolver()
  class ManagementQueries {
    @Query(() => [ManagementRequest], { description: "terms 5.1: requests to manage the caller's number, newest first (the newest 100)" })
    @RequireSubscriber()
    incomingManagementRequests(@Ctx() ctx: GraphQLContext): Promise<ManagementRequest[]> {
      return management.incoming(ctx);
    }

    @Query(() => [ManagementRequest], { description: 'Requests the caller sent to manage other numbers, newest first (the newest 100)' })
    @RequireSubscriber()
    outgoingManagementRequests(@Ctx() ctx: GraphQLContext): Promise<ManagementRequest[]> {
      return management.outgoing(ctx);
    }
  }

  @Resolver(() => ManagementRequest)
  class ManagementMutations {
    @Mutation(() => ManagementRequest, {
      description:
        "terms 5.6.2: ask to manage another Beeline mobile number; the owner gets the confirmation code by SMS (terms 5.6.3). An open request for the same number is returned instead of a second one",
    })
    @RequireSubscriber()
    async requestNumberManagement(@Arg('msisdn', () => PhoneNumberScalar) msisdn: string, @Ctx() ctx: GraphQLContext): Promise<ManagementRequest> {
      return present(await procedure.request(ctx, msisdn));
    }

    @Mutation(() => ManagementRequest, { description: 'terms 5.1: the owner confirms in the cabinet; the activation code goes to the owner by SMS (terms 5.6.5)' })
    @RequireSubscriber()
    async confirmManagementRequest(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ManagementRequest> {
      return present(await procedure.confirmInCabinet(ctx, id));
    }

    @Mutation(() => ManagementRequest, { description: 'terms 5.1: the owner declines a request not yet active' })
    @RequireSubscriber()
    async rejectManagementRequest(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ManagementRequest> {
      return present(await procedure.reject(ctx, id));
    }

    @Mutation(() => ManagementRequest, {
      description: 'terms 5.6.7: the requester enters the activation code (valid 24 hours; 3 wrong entries void it) and gets management of the number',
    })
    @RequireSubscriber()
    async activateNumberManagement(@Args(() => ActivationArgs) args: ActivationArgs, @Ctx() ctx: GraphQLContext): Promise<ManagementRequest> {
      return present(await procedure.activate(ctx, args.requestId, args.activationCode));
    }

    @Mutation(() => ManagementRequest, { description: 'terms 4.4: the owner ends management, or the requester gives it up (before activation: reject / cancel)' })
    @RequireSubscriber()
    async revokeNumberManagement(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ManagementRequest> {
      return present(await procedure.revoke(ctx, id));
    }

    @Mutation(() => ManagementRequest, { description: 'The requester withdraws a request not yet active (CANCELLED)' })
    @RequireSubscriber()
    async cancelManagementRequest(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ManagementRequest> {
      return present(await procedure.cancel(ctx, id));
    }

    @Subscription(() => ManagementRequest, {
      description: "terms 5.1: new requests to manage the caller's number, as they come; `after` resumes from a cursor (what came meanwhile first)",
      subscribe: ({ args, context }) => feed.subscribe(context as GraphQLContext, FeedKind.RECEIVED, args.after as string | null, present),
    })
    @RequireSubscriber()
    managementRequestReceived(@Root() request: ManagementRequest, @Arg('after', () => String, { nullable: true }) _after?: string): ManagementRequest {
      return request;
    }

    @Subscription(() => ManagementRequest, {
      description: 'Every change of a request the caller sent or received, as it happens; `after` resumes from a cursor (what came meanwhile first)',
      subscribe: ({ args, context }) => feed.subscribe(context as GraphQLContext, FeedKind.UPDATED, args.after as string | null, present),
    })
    @RequireSubscriber()
    managementRequestUpdated(@Root() request: ManagementRequest, @Arg('after', () => String, { nullable: true }) _after?: string): ManagementRequest {
      return request;
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

  return [ManagementQueries, ManagementMutations, SubscriberManagementResolver] as const;
}
