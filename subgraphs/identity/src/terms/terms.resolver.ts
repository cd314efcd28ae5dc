import DataLoader from 'dataloader';
import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { AllowPublic, type ChannelEnum, type GraphQLContext, RequireStaff, RequireSubscriber, groupByKeys, requireStaff, requireSubscriber, type Class } from '@selfcare/shared';
import type { IdentityServices } from '../composition';
import { Subscriber } from '../subscribers/subscriber.type';
import type { TermsAcceptanceEntity, TermsVersionEntity } from './terms.entities';
import { TermsAcceptance, type TermsAcceptanceMethod, TermsVersion } from './terms.types';

export function toTermsVersion(row: TermsVersionEntity): TermsVersion {
  const terms = new TermsVersion();
  terms.version = row.version;
  terms.publishedAt = row.publishedAt;
  terms.url = row.url;
  return terms;
}

function toAcceptance(row: TermsAcceptanceEntity): TermsAcceptance {
  const acceptance = new TermsAcceptance();
  acceptance.version = row.version;
  acceptance.acceptedAt = row.acceptedAt;
  acceptance.channel = row.channel as ChannelEnum | null;
  acceptance.method = row.method as TermsAcceptanceMethod;
  return acceptance;
}

/** Terms of use versions and their acceptance (terms 6.1, 6.2, 6.6, 3.5). */
export function termsResolvers(services: IdentityServices): Class[] {
  const { runtime, terms } = services;

  @Resolver()
  class TermsResolver {
    @Query(() => TermsVersion, { description: 'terms 6.6: the version of the terms of use in force' })
    @AllowPublic()
    async currentTerms(): Promise<TermsVersion> {
      return toTermsVersion(await terms.current());
    }

    @Mutation(() => TermsVersion, { description: 'terms 6.1, 6.6: the caller accepts the version in force (recorded with time and channel)' })
    @RequireSubscriber()
    async acceptTerms(@Arg('version', () => String) version: string, @Ctx() ctx: GraphQLContext): Promise<TermsVersion> {
      const caller = requireSubscriber(ctx);
      return toTermsVersion(await terms.accept(caller.subscriberId, version, caller.channel));
    }

    @Mutation(() => TermsVersion, {
      description: 'Staff, terms 6.6: publish a new version of the terms, in force at once; subscribers are told by SMS, e-mail or in the cabinet per their notifyBy',
    })
    @RequireStaff()
    async publishTerms(@Arg('version', () => String) version: string, @Arg('url', () => String) url: string, @Ctx() ctx: GraphQLContext): Promise<TermsVersion> {
      const staff = requireStaff(ctx);
      const published = await terms.publish(staff.staffId, version, url);
      ctx.logger.info({ staffId: staff.staffId, version: published.version }, 'terms published');
      return toTermsVersion(published);
    }
  }

  @Resolver(() => Subscriber)
  class SubscriberTermsResolver {
    @FieldResolver(() => [TermsAcceptance], { description: 'Terms versions this subscriber accepted, newest first (terms 6.1, 6.6); owner or a manager' })
    @RequireSubscriber()
    async termsAcceptances(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<TermsAcceptance[]> {
      await runtime.accessPolicy.assertMayManage(ctx, subscriber.id);
      const loader = ctx.loaders.get<string, TermsAcceptanceEntity[]>(
        'identity.termsAcceptancesBySubscriber',
        () => new DataLoader(async (ids) => groupByKeys(ids, await terms.acceptancesFor(ids), (row) => row.subscriberId)),
      );
      return (await loader.load(subscriber.id)).map(toAcceptance);
    }
  }

  return [TermsResolver, SubscriberTermsResolver];
}
