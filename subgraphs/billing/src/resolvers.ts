import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Resolver, Root, Subscription } from 'type-graphql';
import { GraphQLContext, RequireSubscriber } from '@selfcare/shared';
import type { AccountService } from './accounts/account-service';
import { BalanceChange, BalanceFeed } from './accounts/balance-feed';
import { Account, LedgerConnection, SavedCard, Subscriber } from './accounts/types';

/** Connection arguments in the contract's order (an ArgsType keeps declaration order). */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

/** Resolver classes are built per subgraph instance so they hold that instance's services. */
export function billingResolvers(accounts: AccountService, balanceFeed: BalanceFeed) {
  @Resolver(() => Subscriber)
  class SubscriberAccountResolver {
    @FieldResolver(() => Account, { description: 'terms 2.1: the personal account and its balance' })
    @RequireSubscriber()
    account(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<Account> {
      return accounts.accountOf(ctx, subscriber.id);
    }
  }

  @Resolver(() => Account)
  class AccountResolver {
    @FieldResolver(() => LedgerConnection, { description: 'Ledger entries, newest first' })
    @RequireSubscriber()
    entries(@Root() account: Account, @Ctx() ctx: GraphQLContext, @Args(() => PageArgs) page: PageArgs): Promise<LedgerConnection> {
      return accounts.entriesOf(ctx, account, page.first, page.after);
    }

    @FieldResolver(() => [SavedCard])
    @RequireSubscriber()
    cards(@Root() account: Account, @Ctx() ctx: GraphQLContext): Promise<SavedCard[]> {
      return accounts.cardsOf(ctx, account);
    }
  }

  @Resolver(() => BalanceChange)
  class BalanceChangeResolver {
    @Subscription(() => BalanceChange, {
      description: 'Own number or a managed one; `after` resumes from a cursor: changes missed while disconnected come first',
      subscribe: ({ args, context }) => balanceFeed.subscribe(context as GraphQLContext, args.subscriberId as string, args.after as string | null),
    })
    @RequireSubscriber()
    balanceChanged(
      @Root() change: BalanceChange,
      @Arg('subscriberId', () => ID) _subscriberId: string,
      @Arg('after', () => String, { nullable: true }) _after?: string,
    ): BalanceChange {
      return change;
    }
  }

  return [SubscriberAccountResolver, AccountResolver, BalanceChangeResolver] as const;
}
