import DataLoader from 'dataloader';
import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { AllowPublic, ErrorCode, GraphQLContext, groupByKeys, Language, PhoneNumberScalar, RequireSubscriber, requireSubscriber } from '@selfcare/shared';
import { identityError } from '../errors';
import type { IdentityServices } from '../services';
import { Session, toSession } from '../sessions/session.type';
import type { SessionEntity } from '../sessions/session.entity';
import { loadSubscriber } from './subscriber.loader';
import { Subscriber, toSubscriber } from './subscriber.type';

// eslint-disable-next-line @typescript-eslint/ban-types
export function subscriberResolvers(services: IdentityServices): Function[] {
  const { runtime } = services;

  @Resolver(() => Subscriber)
  class SubscriberResolver {
    /** null without a token; a presented token that is refused (expired, revoked by a status change) is an error. */
    @Query(() => Subscriber, { nullable: true, description: 'The logged-in subscriber; null when not authenticated' })
    @AllowPublic()
    async me(@Ctx() ctx: GraphQLContext): Promise<Subscriber | null> {
      if (!ctx.caller) {
        if (ctx.authError) throw ctx.authError;
        return null;
      }
      if (ctx.caller.kind !== 'subscriber') return null;
      const entity = await loadSubscriber(ctx, runtime.database, ctx.caller.subscriberId);
      if (!entity) return null;
      void services.auth.touch(ctx.caller);
      return toSubscriber(entity);
    }

    /** terms 2.5: the caller's own number or one they manage (4.3); any other number, known or not, is FORBIDDEN. */
    @Query(() => Subscriber, { nullable: true, description: 'Own or managed number, else FORBIDDEN' })
    @RequireSubscriber()
    async subscriber(@Arg('msisdn', () => PhoneNumberScalar) msisdn: string, @Ctx() ctx: GraphQLContext): Promise<Subscriber | null> {
      const entity = await services.subscribers.findByMsisdn(msisdn);
      if (!entity) throw identityError(ErrorCode.FORBIDDEN);
      await runtime.accessPolicy.assertMayManage(ctx, entity.id);
      return toSubscriber(entity);
    }

    /** terms 4.1: the owner alone sees where they are logged in; a manager (section 5) does not. */
    @FieldResolver(() => [Session], { description: 'the owner alone, not a manager' })
    @RequireSubscriber()
    async sessions(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<Session[]> {
      runtime.accessPolicy.assertOwner(ctx, subscriber.id);
      const caller = requireSubscriber(ctx);
      const loader = ctx.loaders.get<string, SessionEntity[]>(
        'identity.sessionsBySubscriber',
        () => new DataLoader(async (ids) => groupByKeys(ids, await services.sessions.liveSessionsOf(ids), (s) => s.subjectId)),
      );
      const rows = await loader.load(subscriber.id);
      return rows.map((row) => toSession(row, caller.sessionId));
    }

    @Mutation(() => Subscriber, { description: 'The language of SMS, e-mails and messages for this subscriber' })
    @RequireSubscriber()
    async setLanguage(@Arg('language', () => Language) language: Language, @Ctx() ctx: GraphQLContext): Promise<Subscriber> {
      return toSubscriber(await services.profile.setLanguage(requireSubscriber(ctx), language));
    }
  }

  return [SubscriberResolver];
}
