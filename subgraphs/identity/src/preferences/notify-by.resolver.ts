import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { ErrorCode, type GraphQLContext, RequireSubscriber, requireSubscriber, type Class } from '@selfcare/shared';
import { refusal } from '../common/errors';
import type { IdentityServices } from '../composition';
import { loadSubscriber } from '../subscribers/subscriber.loader';
import { Subscriber } from '../subscribers/subscriber.type';
import { normalizeNotifyBy } from './notify-by.service';
import { NotifyBy } from './notify-by.types';

/** Subscriber.notifyBy and setNotifyBy (terms 5.1). */
export function notifyByResolvers(services: IdentityServices): Class[] {
  const { runtime, preferences } = services;

  @Resolver(() => Subscriber)
  class SubscriberNotifyByResolver {
    @FieldResolver(() => [NotifyBy], { description: 'terms 5.1: how this subscriber wants to be told; owner or a manager' })
    @RequireSubscriber()
    async notifyBy(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<NotifyBy[]> {
      await runtime.accessPolicy.assertMayManage(ctx, subscriber.id);
      const entity = await loadSubscriber(ctx, runtime.database, subscriber.id);
      if (!entity) throw refusal(ErrorCode.NOT_FOUND);
      return normalizeNotifyBy(entity.notifyBy);
    }
  }

  @Resolver()
  class NotifyByMutationResolver {
    @Mutation(() => [NotifyBy], { description: 'terms 5.1: the caller chooses how to be told; EMAIL needs a verified e-mail (else BAD_USER_INPUT, field channels)' })
    @RequireSubscriber()
    async setNotifyBy(@Arg('channels', () => [NotifyBy]) channels: NotifyBy[], @Ctx() ctx: GraphQLContext): Promise<NotifyBy[]> {
      const caller = requireSubscriber(ctx);
      return preferences.set(caller.subscriberId, channels, caller.channel);
    }
  }

  return [SubscriberNotifyByResolver, NotifyByMutationResolver];
}
