import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { GraphQLContext, RequireSubscriber } from '@selfcare/shared';
import { Subscriber } from '../usage/types';
import { StatementFormat } from './entities';
import type { StatementFeed } from './statement-feed';
import type { StatementService } from './statement-service';
import { Statement, StatementConnection } from './types';

/** The contract's argument order. */
@ArgsType()
export class OrderStatementArgs {
  @Field(() => ID)
  subscriberId: string;

  @Field(() => Date)
  from: Date;

  @Field(() => Date)
  to: Date;

  @Field(() => StatementFormat)
  format: StatementFormat;

  @Field(() => Boolean, { nullable: true })
  email?: boolean | null;
}

@ArgsType()
export class StatementPageArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

export function statementResolvers(statements: StatementService, feed: StatementFeed) {
  @Resolver(() => Statement)
  class StatementResolver {
    @Mutation(() => Statement, { description: 'terms 2.1, 4.3: a statement of [from, to) (at most 92 days) of the own number or a managed one, rendered in the background' })
    @RequireSubscriber()
    orderStatement(@Ctx() ctx: GraphQLContext, @Args(() => OrderStatementArgs) args: OrderStatementArgs): Promise<Statement> {
      return statements.order(ctx, { subscriberId: args.subscriberId, from: args.from, to: args.to, format: args.format, email: args.email ?? null });
    }

    @Query(() => Statement, { nullable: true, description: 'A statement the caller ordered (null for any other id)' })
    @RequireSubscriber()
    statement(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Statement | null> {
      return statements.statement(ctx, id);
    }

    @Subscription(() => Statement, {
      description: 'A statement the caller ordered: as it is now, then each change of its status, ending once it is settled',
      subscribe: ({ args, context }) => feed.subscribe(context as GraphQLContext, args.id as string),
    })
    @RequireSubscriber()
    statementUpdated(@Root() statement: Statement, @Arg('id', () => ID) _id: string): Statement {
      return statement;
    }
  }

  @Resolver(() => Subscriber)
  class SubscriberStatementsResolver {
    @FieldResolver(() => StatementConnection, { description: 'Statements the caller ordered for this number, newest first' })
    @RequireSubscriber()
    statements(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext, @Args(() => StatementPageArgs) args: StatementPageArgs): Promise<StatementConnection> {
      return statements.statementsOf(ctx, subscriber.id, args.first ?? null, args.after ?? null);
    }
  }

  return [StatementResolver, SubscriberStatementsResolver] as const;
}
