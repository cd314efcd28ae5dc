import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLContext, RequireSubscriber } from '@selfcare/shared';
import { Subscriber } from '../inventory/types';
import type { OrderService } from './order-service';
import { ProductOrder, ProductOrderConnection, toProductOrder } from './types';

@ArgsType()
class OrderPageArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

/** Product orders (terms 2.1, 2.2, 5.2): thin resolvers; OrderService decides and AccessPolicy authorizes. */
export function orderResolvers(orders: OrderService) {
  @Resolver(() => ProductOrder)
  class OrderMutations {
    @Mutation(() => ProductOrder, { description: 'terms 2.1, 2.2: connect a service, accepting its current terms; the same idempotencyKey returns the same order' })
    @RequireSubscriber()
    async connectService(
      @Arg('subscriberId', () => ID) subscriberId: string,
      @Arg('serviceCode', () => String) serviceCode: string,
      @Arg('acceptedTermsVersion', () => String) acceptedTermsVersion: string,
      @Arg('idempotencyKey', () => String) idempotencyKey: string,
      @Ctx() ctx: GraphQLContext,
    ): Promise<ProductOrder> {
      return toProductOrder(await orders.place(ctx, { kind: 'CONNECT_SERVICE', subscriberId, code: serviceCode, acceptedTermsVersion, idempotencyKey }));
    }

    @Mutation(() => ProductOrder, { description: 'terms 2.1: disconnect a service; the same idempotencyKey returns the same order' })
    @RequireSubscriber()
    async disconnectService(
      @Arg('subscriberId', () => ID) subscriberId: string,
      @Arg('serviceCode', () => String) serviceCode: string,
      @Arg('idempotencyKey', () => String) idempotencyKey: string,
      @Ctx() ctx: GraphQLContext,
    ): Promise<ProductOrder> {
      return toProductOrder(await orders.place(ctx, { kind: 'DISCONNECT_SERVICE', subscriberId, code: serviceCode, acceptedTermsVersion: null, idempotencyKey }));
    }

    @Mutation(() => ProductOrder, { description: 'terms 2.10: change the tariff, accepting its current terms; its switch fee is charged' })
    @RequireSubscriber()
    async changeTariff(
      @Arg('subscriberId', () => ID) subscriberId: string,
      @Arg('tariffCode', () => String) tariffCode: string,
      @Arg('acceptedTermsVersion', () => String) acceptedTermsVersion: string,
      @Arg('idempotencyKey', () => String) idempotencyKey: string,
      @Ctx() ctx: GraphQLContext,
    ): Promise<ProductOrder> {
      return toProductOrder(await orders.place(ctx, { kind: 'CHANGE_TARIFF', subscriberId, code: tariffCode, acceptedTermsVersion, idempotencyKey }));
    }

    @Query(() => ProductOrder, { description: "An order of the caller's own or a managed number" })
    @RequireSubscriber()
    async order(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ProductOrder> {
      return toProductOrder(await orders.orderFor(ctx, id));
    }
  }

  @Resolver(() => Subscriber)
  class SubscriberOrdersResolver {
    @FieldResolver(() => ProductOrderConnection, { description: "The line's orders, newest first" })
    @RequireSubscriber()
    async orders(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext, @Args(() => OrderPageArgs) page: OrderPageArgs): Promise<ProductOrderConnection> {
      return ProductOrderConnection.from(await orders.ordersOf(ctx, subscriber.id, page.first, page.after), toProductOrder);
    }
  }

  return [OrderMutations, SubscriberOrdersResolver] as const;
}
