import type { EntityManager } from 'typeorm';
import {
  type DomainEvent,
  Language,
  type SubgraphRuntime,
  type SubscriberNotificationRequested,
  billingEvents,
  catalogEvents,
  delegationEvents,
  detailingEvents,
} from '@selfcare/shared';
import { normalizeNotifyBy } from '../preferences/notify-by.service';
import { NotifyBy } from '../preferences/notify-by.types';
import { SubscriberEntity } from '../subscribers/subscriber.entity';
import { CabinetNotificationEntity } from './notice.entities';
import type { NoticeService } from './notice.service';

const SMS_MAX = 480;

/**
 * Notices other services ask for (`SubscriberNotificationRequested`: an order's outcome, a receipt, a price change,
 * a management request — terms 2.8, 5.1). identity knows how each subscriber wants to be told: always in the cabinet,
 * and by SMS and/or e-mail as `notifyBy` says, each in the subscriber's language. Applied once per event (the
 * consumer's inbox) and once per key (the notice's dedupe key), in the consumer's transaction.
 */
export class RequestedNotices {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly notices: NoticeService,
  ) {}

  registerConsumers(): void {
    for (const contract of [catalogEvents, billingEvents, detailingEvents, delegationEvents]) {
      this.runtime.consume(contract, { SubscriberNotificationRequested: (payload, manager, event) => this.deliver(payload, manager, event) });
    }
  }

  async deliver(request: SubscriberNotificationRequested, manager: EntityManager, event: Pick<DomainEvent, 'stream'>): Promise<void> {
    const subscriber = await manager.findOne(SubscriberEntity, {
      where: { id: request.subscriberId },
      select: { id: true, language: true, msisdn: true, verifiedEmail: true, notifyBy: true, erasedAt: true },
    });
    // Nobody to tell: an unknown id, or a person whose data was erased (terms 2.11).
    if (!subscriber || subscriber.erasedAt) return;
    const language = subscriber.language as Language;
    const text = request.texts[language];
    const key = `${event.stream}:${request.key}`.slice(0, 80);
    // A producer's retry under the same key tells the subscriber nothing new: no second notice, SMS or e-mail.
    if (await manager.exists(CabinetNotificationEntity, { where: { subscriberId: subscriber.id, dedupeKey: key } })) return;
    await this.notices.notify(manager, subscriber.id, { title: text.title, body: text.body, key, texts: request.texts });
    if (request.delivery === 'CABINET') return;
    const channels = normalizeNotifyBy(subscriber.notifyBy);
    if (channels.includes(NotifyBy.SMS) && subscriber.msisdn) {
      const sms = request.sms ?? smsFrom(request.texts);
      await this.runtime.notifications.sms(manager, { to: subscriber.msisdn, language, texts: sms });
    }
    if (channels.includes(NotifyBy.EMAIL) && subscriber.verifiedEmail) {
      await this.runtime.notifications.email(manager, {
        to: subscriber.verifiedEmail,
        language,
        subject: perLanguage(request.texts, (t) => t.title),
        body: perLanguage(request.texts, (t) => t.body),
      });
    }
  }
}

function perLanguage<T>(texts: Record<Language, T>, pick: (value: T) => string): Record<Language, string> {
  return { KK: pick(texts.KK), RU: pick(texts.RU), EN: pick(texts.EN) };
}

function smsFrom(texts: SubscriberNotificationRequested['texts']): Record<Language, string> {
  return perLanguage(texts, (t) => {
    const whole = `${t.title}: ${t.body}`;
    return whole.length > SMS_MAX ? `${whole.slice(0, SMS_MAX - 1)}…` : whole;
  });
}
