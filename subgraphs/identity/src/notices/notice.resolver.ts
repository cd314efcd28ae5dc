import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DomainError, ErrorCode, type GraphQLContext, Language, RequireStaff, RequireSubscriber, SubscriberKind, requireStaff, type Class } from '@selfcare/shared';
import { refusal } from '../common/errors';
import { readerLanguage } from '../common/reader-language';
import type { IdentityServices } from '../composition';
import { Subscriber } from '../subscribers/subscriber.type';
import type { CabinetNotificationEntity, NoticeBroadcastEntity, NoticeTexts } from './notice.entities';
import { noticeText } from './notice.service';
import { type BroadcastStatus, NoticeBroadcast, NoticeText, NoticeTextInput, Notification, NotificationConnection } from './notice.types';

export function toNotification(row: CabinetNotificationEntity, texts: NoticeTexts | null, language: Language): Notification {
  const notification = new Notification();
  const text = noticeText(row, texts, language);
  notification.id = row.id;
  notification.title = text.title;
  notification.body = text.body;
  notification.createdAt = row.createdAt;
  notification.read = row.readAt !== null;
  return notification;
}

function toBroadcast(row: NoticeBroadcastEntity): NoticeBroadcast {
  const broadcast = new NoticeBroadcast();
  broadcast.id = row.id;
  broadcast.title = row.title;
  broadcast.texts = [Language.KK, Language.RU, Language.EN].map((language) => Object.assign(new NoticeText(), { language, ...noticeText(row, row.texts, language) }));
  broadcast.kind = (row.kindFilter as SubscriberKind | null) ?? null;
  broadcast.status = row.status as BroadcastStatus;
  broadcast.delivered = row.delivered;
  broadcast.emailed = row.emailed;
  broadcast.texted = row.texted;
  broadcast.createdAt = row.createdAt;
  broadcast.finishedAt = row.finishedAt;
  return broadcast;
}

/** In-cabinet notifications and the operator's broadcast (terms 2.8). */
export function noticeResolvers(services: IdentityServices): Class[] {
  const { runtime, notices } = services;

  @Resolver(() => Subscriber)
  class SubscriberNotificationsResolver {
    @FieldResolver(() => NotificationConnection, { description: 'terms 2.8: in-cabinet notices, newest first; owner or a manager (terms 4.3)' })
    @RequireSubscriber()
    async notifications(
      @Root() subscriber: Subscriber,
      @Arg('first', () => Int, { nullable: true }) first: number | null,
      @Arg('after', () => String, { nullable: true }) after: string | null,
      @Ctx() ctx: GraphQLContext,
    ): Promise<NotificationConnection> {
      await runtime.accessPolicy.assertMayManage(ctx, subscriber.id);
      const page = await notices.page(ctx, subscriber.id, first, after);
      const rows = page.edges.map((edge) => edge.node);
      const [texts, language] = await Promise.all([notices.textsOf(ctx, rows), readerLanguage(ctx, runtime.database)]);
      const textsOf = new Map(rows.map((row, i) => [row, texts[i] ?? null]));
      return NotificationConnection.from(page, (row) => toNotification(row, textsOf.get(row) ?? null, language));
    }
  }

  @Resolver()
  class NoticeResolver {
    @Mutation(() => Notification, { description: 'Marks a notification of the caller (or of a number they manage) read' })
    @RequireSubscriber()
    async markNotificationRead(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<Notification> {
      const notification = await notices.find(id);
      if (!notification) throw refusal(ErrorCode.NOT_FOUND, undefined, 'id');
      try {
        await runtime.accessPolicy.assertMayManage(ctx, notification.subscriberId);
      } catch (error) {
        // Somebody else's notification: answer as if it did not exist (terms 2.5: nothing about other numbers leaks).
        if (error instanceof DomainError && error.code === ErrorCode.FORBIDDEN) throw refusal(ErrorCode.NOT_FOUND, undefined, 'id');
        throw error;
      }
      const read = await notices.markRead(notification);
      const [[texts], language] = await Promise.all([notices.textsOf(ctx, [read]), readerLanguage(ctx, runtime.database)]);
      return toNotification(read, texts ?? null, language);
    }

    @Mutation(() => NoticeBroadcast, {
      description:
        'Staff, terms 2.8: a notice to every subscriber or to one kind, delivered in the cabinet in the background, each subscriber reading it in their language (texts: kk, ru, en; title/body: for the languages not given); byEmail / bySms also send it to those who consented to marketing e-mail / SMS (terms 6.4; e-mails carry an unsubscribe link)',
    })
    @RequireStaff()
    async broadcastNotice(
      @Arg('title', () => String, { nullable: true, description: 'the text for every language not in `texts`; required unless `texts` gives kk, ru and en' }) title: string | null,
      @Arg('body', () => String, { nullable: true, description: 'with `title`' }) body: string | null,
      @Arg('kind', () => SubscriberKind, { nullable: true }) kind: SubscriberKind | null,
      @Arg('byEmail', () => Boolean, { nullable: true }) byEmail: boolean | null,
      @Arg('bySms', () => Boolean, { nullable: true }) bySms: boolean | null,
      @Arg('texts', () => [NoticeTextInput], { nullable: true, description: 'the text per language (kk, ru, en); each subscriber reads their own' }) texts: NoticeTextInput[] | null,
      @Ctx() ctx: GraphQLContext,
    ): Promise<NoticeBroadcast> {
      const staff = requireStaff(ctx);
      const job = await notices.broadcast(staff.staffId, { title, body, texts, kind: kind ?? null, byEmail: byEmail ?? false, bySms: bySms ?? false });
      ctx.logger.info({ staffId: staff.staffId, broadcastId: job.id, kind: job.kindFilter }, 'notice broadcast queued');
      return toBroadcast(job);
    }

    @Query(() => NoticeBroadcast, { nullable: true, description: 'Staff: progress of a broadcast' })
    @RequireStaff()
    async noticeBroadcast(@Arg('id', () => ID) id: string): Promise<NoticeBroadcast | null> {
      const job = await notices.broadcastById(id);
      return job ? toBroadcast(job) : null;
    }
  }

  return [SubscriberNotificationsResolver, NoticeResolver];
}
