import { Args, ArgsType, Ctx, Field, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { GraphQLContext, RequireSubscriber } from '@selfcare/shared';
import { UsageKind } from './usage/entities';
import type { UsageService } from './usage/usage-service';
import { Allowance, Subscriber, UsageConnection, UsageSummary } from './usage/types';
import { UsageDay } from './ingest/types';

/** Arguments as the contract orders them (an ArgsType keeps declaration order; parameter decorators would not). */
@ArgsType()
export class PeriodArgs {
  @Field(() => Date)
  from: Date;

  @Field(() => Date)
  to: Date;
}

@ArgsType()
export class UsageArgs extends PeriodArgs {
  @Field(() => [UsageKind], { nullable: true })
  kinds?: UsageKind[] | null;

  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@ArgsType()
export class UsageDayArgs extends PeriodArgs {
  @Field(() => [UsageKind], { nullable: true })
  kinds?: UsageKind[] | null;
}

/** Resolver classes are built per subgraph instance so they hold that instance's services. */
export function detailingResolvers(usage: UsageService) {
  @Resolver(() => Subscriber)
  class SubscriberDetailingResolver {
    @FieldResolver(() => UsageConnection, { description: 'terms 2.1: itemized usage of [from, to), newest first; at most 92 days' })
    @RequireSubscriber()
    usage(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext, @Args(() => UsageArgs) args: UsageArgs): Promise<UsageConnection> {
      return usage.usageOf(ctx, subscriber.id, { from: args.from, to: args.to, kinds: args.kinds ?? null, first: args.first ?? null, after: args.after ?? null });
    }

    @FieldResolver(() => [UsageDay], { description: 'terms 2.1: usage of [from, to) per calendar day in Asia/Almaty (UTC+5), oldest first, days without usage too; at most 92 days' })
    @RequireSubscriber()
    usageByDay(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext, @Args(() => UsageDayArgs) args: UsageDayArgs): Promise<UsageDay[]> {
      return usage.usageByDayOf(ctx, subscriber.id, { from: args.from, to: args.to, kinds: args.kinds ?? null });
    }

    @FieldResolver(() => UsageSummary, { description: 'Totals of [from, to) per kind of usage' })
    @RequireSubscriber()
    usageSummary(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext, @Args(() => PeriodArgs) args: PeriodArgs): Promise<UsageSummary> {
      return usage.summaryOf(ctx, subscriber.id, args.from, args.to);
    }

    @FieldResolver(() => [Allowance], { description: "What is left of the tariff's minutes, SMS and data this tariff month" })
    @RequireSubscriber()
    allowances(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<Allowance[]> {
      return usage.allowancesOf(ctx, subscriber.id);
    }
  }

  return [SubscriberDetailingResolver] as const;
}
