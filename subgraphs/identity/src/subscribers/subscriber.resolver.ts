import DataLoader from 'dataloader';
import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { AllowPublic, DomainError, EmailAddressScalar, ErrorCode, GraphQLContext, groupByKeys, Language, PhoneNumberScalar, RequireSubscriber, requireSubscriber, type Class } from '@selfcare/shared';
import { identityError } from '../common/errors';
import type { IdentityServices } from '../composition';
import { Session, toSession } from '../sessions/session.type';
import type { SessionEntity } from '../sessions/session.entity';
import { loadSubscriber } from './subscriber.loader';
import { AccessReason, AccessStatus, isSubscriberReference, PartyType, Subscriber, toSubscriber } from './subscriber.type';

export function subscriberResolvers(services: IdentityServices): Class[] {
  const { runtime } = services;

  /**
   * terms 2.5: a Subscriber reached through an entity reference (e.g. the owner of a management request a stranger
   * sent, terms 5.6.2) shows its number to the other party, but its personal data only to the subscriber, a manager of the
   * number (terms 4.3) or staff. Identity's own paths (me, subscriber(msisdn), login) are checked where they start.
   */
  async function personalDataVisible(subscriber: Subscriber, ctx: GraphQLContext): Promise<boolean> {
    if (!isSubscriberReference(subscriber)) return true;
    const caller = ctx.caller;
    if (!caller) return false;
    if (caller.kind === 'staff' || caller.subscriberId === subscriber.id) return true;
    try {
      await runtime.accessPolicy.assertMayManage(ctx, subscriber.id);
      return true;
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.FORBIDDEN) return false;
      throw error;
    }
  }

  /** A non-null personal field of somebody else's Subscriber: refused; a nullable one reads as null. */
  async function personal<T>(subscriber: Subscriber, ctx: GraphQLContext, value: T, nullable: boolean): Promise<T | null> {
    if (await personalDataVisible(subscriber, ctx)) return value;
    if (nullable) return null;
    throw identityError(ErrorCode.FORBIDDEN);
  }

  @Resolver(() => Subscriber)
  class SubscriberResolver {
    @FieldResolver(() => String)
    @AllowPublic()
    login(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<string | null> {
      return personal(subscriber, ctx, subscriber.login, false);
    }

    @FieldResolver(() => PartyType)
    @AllowPublic()
    partyType(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<PartyType | null> {
      return personal(subscriber, ctx, subscriber.partyType, false);
    }

    @FieldResolver(() => EmailAddressScalar, { nullable: true })
    @AllowPublic()
    email(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<string | null> {
      return personal(subscriber, ctx, subscriber.email, true);
    }

    @FieldResolver(() => Boolean)
    @AllowPublic()
    emailVerified(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<boolean | null> {
      return personal(subscriber, ctx, subscriber.emailVerified, false);
    }

    @FieldResolver(() => Language)
    @AllowPublic()
    language(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<Language | null> {
      return personal(subscriber, ctx, subscriber.language, false);
    }

    @FieldResolver(() => AccessStatus)
    @AllowPublic()
    accessStatus(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<AccessStatus | null> {
      return personal(subscriber, ctx, subscriber.accessStatus, false);
    }

    @FieldResolver(() => AccessReason, { nullable: true })
    @AllowPublic()
    accessReason(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<AccessReason | null> {
      return personal(subscriber, ctx, subscriber.accessReason, true);
    }

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

    /** terms 2.5: the caller's own number or one they manage (terms 4.3); any other number, known or not, is FORBIDDEN. */
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
