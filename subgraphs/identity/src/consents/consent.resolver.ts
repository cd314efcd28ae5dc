import DataLoader from 'dataloader';
import { Arg, Ctx, Field, FieldResolver, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { ChannelEnum, type GraphQLContext, RequireSubscriber, groupByKeys, requireSubscriber, type Class } from '@selfcare/shared';
import type { IdentityServices } from '../composition';
import { Subscriber } from '../subscribers/subscriber.type';
import { CONSENT_PURPOSES, type ConsentEntity, type ConsentHistoryEntity } from './consent.entities';
import { Consent, ConsentPurpose } from './consent.types';

@ObjectType({ description: 'One change of a consent, as recorded (terms 2.12: a withdrawal is kept like a signed refusal)' })
export class ConsentHistoryEntry {
  @Field(() => ConsentPurpose)
  purpose: ConsentPurpose;

  @Field(() => Boolean)
  granted: boolean;

  @Field(() => Date)
  at: Date;

  @Field(() => ChannelEnum, { nullable: true })
  channel: ChannelEnum | null;

  @Field(() => String, { description: 'REGISTRATION, LOGIN, CABINET, UNSUBSCRIBE_LINK, PERSONAL_DATA_WITHDRAWN' })
  source: string;

  @Field(() => String, { nullable: true })
  termsVersion: string | null;
}

export function toConsent(row: ConsentEntity): Consent {
  const consent = new Consent();
  consent.purpose = row.purpose as ConsentPurpose;
  consent.granted = row.granted;
  consent.changedAt = row.changedAt;
  consent.termsVersion = row.termsVersion;
  return consent;
}

function toHistoryEntry(row: ConsentHistoryEntity): ConsentHistoryEntry {
  const entry = new ConsentHistoryEntry();
  entry.purpose = row.purpose as ConsentPurpose;
  entry.granted = row.granted;
  entry.at = row.at;
  entry.channel = row.channel as ChannelEnum | null;
  entry.source = row.source;
  entry.termsVersion = row.termsVersion;
  return entry;
}

const purposeOrder = (row: ConsentEntity) => CONSENT_PURPOSES.indexOf(row.purpose);

/** Consents on the Subscriber entity and setConsent (terms 2.11–2.14, 6.4). */
export function consentResolvers(services: IdentityServices): Class[] {
  const { runtime, consents } = services;

  @Resolver(() => Subscriber)
  class SubscriberConsentsResolver {
    @FieldResolver(() => [Consent], { description: 'Current state per purpose that is on record (terms 2.11-2.14, 6.4); owner or a manager (terms 4.3)' })
    @RequireSubscriber()
    async consents(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<Consent[]> {
      await runtime.accessPolicy.assertMayManage(ctx, subscriber.id);
      const loader = ctx.loaders.get<string, ConsentEntity[]>(
        'identity.consentsBySubscriber',
        () => new DataLoader(async (ids) => groupByKeys(ids, await consents.currentFor(ids), (row) => row.subscriberId)),
      );
      const rows = await loader.load(subscriber.id);
      return [...rows].sort((a, b) => purposeOrder(a) - purposeOrder(b)).map(toConsent);
    }

    @FieldResolver(() => [ConsentHistoryEntry], { description: 'Every change of every consent, oldest first (terms 2.12); owner or a manager (terms 4.3)' })
    @RequireSubscriber()
    async consentHistory(@Root() subscriber: Subscriber, @Ctx() ctx: GraphQLContext): Promise<ConsentHistoryEntry[]> {
      await runtime.accessPolicy.assertMayManage(ctx, subscriber.id);
      const loader = ctx.loaders.get<string, ConsentHistoryEntity[]>(
        'identity.consentHistoryBySubscriber',
        () => new DataLoader(async (ids) => groupByKeys(ids, await consents.historyFor(ids), (row) => row.subscriberId)),
      );
      return (await loader.load(subscriber.id)).map(toHistoryEntry);
    }
  }

  @Resolver()
  class ConsentMutationsResolver {
    @Mutation(() => Consent, {
      description:
        'terms 2.12, 2.14: grant or withdraw a consent of the caller. Withdrawing PERSONAL_DATA needs confirm: true (else CONSENT_REQUIRED): it also withdraws PARTNER_SHARING, MARKETING_*, ASHYQ, drops EMAIL notifications and ends every cabinet session; the next login is consent again (terms 2.11). Withdrawing ASHYQ deletes all data received from Ashyq.',
    })
    @RequireSubscriber()
    async setConsent(
      @Arg('purpose', () => ConsentPurpose) purpose: ConsentPurpose,
      @Arg('granted', () => Boolean) granted: boolean,
      @Arg('confirm', () => Boolean, { nullable: true, description: 'required (true) to withdraw PERSONAL_DATA' }) confirm: boolean | null,
      @Ctx() ctx: GraphQLContext,
    ): Promise<Consent> {
      const caller = requireSubscriber(ctx);
      const change = await runtime.database.transaction((manager) =>
        consents.set(manager, caller.subscriberId, purpose, granted, { actorId: caller.subscriberId, actorKind: 'SUBSCRIBER', channel: caller.channel, viaManagement: false }, { confirm }),
      );
      return toConsent(change.consent);
    }
  }

  return [SubscriberConsentsResolver, ConsentMutationsResolver];
}
