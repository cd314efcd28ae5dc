import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { type ChannelEnum, type GraphQLContext, type Language, RequireSubscriber, type Class } from '@selfcare/shared';
import { readerLanguage } from '../common/reader-language';
import type { IdentityServices } from '../composition';
import { loadSubscriber } from '../subscribers/subscriber.loader';
import { Subscriber, toSubscriberReference } from '../subscribers/subscriber.type';
import { renderDetail } from './activity-details';
import type { ActivityEntryEntity } from './activity.entities';
import { ActivityConnection, ActivityEntry, type ActorKind } from './activity.types';

/** An entry as `language`'s reader sees it: a structured detail in their language, else the text as recorded. */
function toEntry(row: ActivityEntryEntity, language: Language): ActivityEntry {
  const entry = new ActivityEntry();
  entry.id = row.id;
  entry.at = row.at;
  entry.action = row.action;
  entry.viaManagement = row.viaManagement;
  entry.channel = row.channel as ChannelEnum | null;
  entry.details = renderDetail(row.detailCode, row.detailParams, language) ?? row.details;
  entry.actorKind = row.actorKind as ActorKind;
  entry.actorId = row.actorKind === 'SUBSCRIBER' ? row.actorId : null;
  return entry;
}

/** Subscriber.activity and ActivityEntry.actor (terms 2.4, 3.5, 4.3). */
export function activityResolvers(services: IdentityServices): Class[] {
  const { runtime, activity } = services;

  @Resolver(() => Subscriber)
  class SubscriberActivityResolver {
    @FieldResolver(() => ActivityConnection, { description: 'terms 2.4, 3.5, 4.3: every action on this number, newest first; owner or a manager' })
    @RequireSubscriber()
    async activity(
      @Root() subscriber: Subscriber,
      @Arg('first', () => Int, { nullable: true }) first: number | null,
      @Arg('after', () => String, { nullable: true }) after: string | null,
      @Ctx() ctx: GraphQLContext,
    ): Promise<ActivityConnection> {
      await runtime.accessPolicy.assertMayManage(ctx, subscriber.id);
      const page = await activity.page(ctx, subscriber.id, first, after);
      const language = await readerLanguage(ctx, runtime.database);
      return ActivityConnection.from(page, (row) => toEntry(row, language));
    }
  }

  @Resolver(() => ActivityEntry)
  class ActivityEntryResolver {
    @FieldResolver(() => Subscriber, { nullable: true, description: 'the subscriber who acted (the owner, or a manager: terms 4.3); null for staff and the system' })
    @RequireSubscriber()
    async actor(@Root() entry: ActivityEntry, @Ctx() ctx: GraphQLContext): Promise<Subscriber | null> {
      if (!entry.actorId) return null;
      const entity = await loadSubscriber(ctx, runtime.database, entry.actorId);
      return entity ? toSubscriberReference(entity) : null;
    }
  }

  return [SubscriberActivityResolver, ActivityEntryResolver];
}
