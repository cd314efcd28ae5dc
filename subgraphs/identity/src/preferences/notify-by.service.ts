import { In } from 'typeorm';
import { ErrorCode, type SubgraphRuntime } from '@selfcare/shared';
import type { ActivityService } from '../activity/activity.service';
import type { ChannelName } from '../common/actor';
import { refusal } from '../common/errors';
import type { ConsentService } from '../consents/consent.service';
import { type LanguageValue, SubscriberEntity } from '../subscribers/subscriber.entity';
import { NotifyBy } from './notify-by.types';
import { detail } from '../activity/activity-details';

const ORDER: NotifyBy[] = [NotifyBy.CABINET, NotifyBy.EMAIL, NotifyBy.SMS];
export const DEFAULT_NOTIFY_BY: NotifyBy[] = [NotifyBy.CABINET];

/** A stored value as the contract's enum list: known values only, in a fixed order, never empty. */
export function normalizeNotifyBy(stored: unknown): NotifyBy[] {
  const values = Array.isArray(stored) ? stored.filter((v): v is NotifyBy => ORDER.includes(v as NotifyBy)) : [];
  const unique = ORDER.filter((c) => values.includes(c));
  return unique.length > 0 ? unique : [...DEFAULT_NOTIFY_BY];
}

export interface NotifyPreference {
  subscriberId: string;
  notifyBy: NotifyBy[];
  /** the verified address, where EMAIL notifications go; null when there is none */
  email: string | null;
  msisdn: string | null;
  language: LanguageValue;
  registered: boolean;
}

/**
 * Notification preferences (terms 5.1): how a subscriber is told of things (a management request, new terms).
 * EMAIL needs a verified e-mail address, and personal-data processing not withdrawn (terms 2.12); SMS needs a mobile number.
 */
export class NotifyByService {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly activity: ActivityService,
    private readonly consents: ConsentService,
  ) {}

  async set(subscriberId: string, channels: NotifyBy[], channel: ChannelName): Promise<NotifyBy[]> {
    if (channels.length === 0) {
      throw refusal(
        ErrorCode.BAD_USER_INPUT,
        { KK: 'Кемінде бір арнаны таңдаңыз', RU: 'Выберите хотя бы один канал', EN: 'Choose at least one channel' },
        'channels',
      );
    }
    const wanted = ORDER.filter((c) => channels.includes(c));
    return this.runtime.database.transaction(async (manager) => {
      const subscriber = await manager.findOne(SubscriberEntity, { where: { id: subscriberId }, lock: this.runtime.database.lockMode });
      if (!subscriber) throw refusal(ErrorCode.NOT_FOUND);
      if (wanted.includes(NotifyBy.EMAIL)) {
        if (!subscriber.verifiedEmail) {
          throw refusal(
            ErrorCode.BAD_USER_INPUT,
            {
              KK: 'E-mail хабарламалары үшін алдымен e-mail мекенжайын растаңыз',
              RU: 'Для уведомлений по e-mail сначала подтвердите адрес e-mail',
              EN: 'Verify your e-mail address before choosing e-mail notifications',
            },
            'channels',
          );
        }
        if (await this.consents.personalDataWithdrawn(manager, subscriberId)) throw refusal(ErrorCode.CONSENT_REQUIRED, undefined, 'channels');
      }
      if (wanted.includes(NotifyBy.SMS) && !subscriber.msisdn) {
        // A Home Internet contract has no mobile number of its own (terms 1).
        throw refusal(
          ErrorCode.BAD_USER_INPUT,
          { KK: 'SMS хабарламалары үшін ұялы нөмір қажет', RU: 'Для SMS-уведомлений нужен мобильный номер', EN: 'SMS notifications need a mobile number' },
          'channels',
        );
      }
      const before = normalizeNotifyBy(subscriber.notifyBy);
      if (before.join() !== wanted.join()) {
        await manager.update(SubscriberEntity, { id: subscriberId }, { notifyBy: wanted, updatedAt: this.runtime.clock.now() });
        await this.activity.record(manager, {
          subscriberId,
          actorId: subscriberId,
          actorKind: 'SUBSCRIBER',
          viaManagement: false,
          channel,
          action: 'NOTIFY_BY_CHANGED',
          detail: detail('NOTIFY_BY_CHANGED', { from: before, to: wanted }),
        });
      }
      return wanted;
    });
  }

  /** For delegation (terms 5.1: a request is also sent by e-mail or SMS if the owner chose so). */
  async preferencesOf(subscriberIds: readonly string[]): Promise<NotifyPreference[]> {
    if (subscriberIds.length === 0) return [];
    const rows = await this.runtime.database.manager.find(SubscriberEntity, {
      where: { id: In([...subscriberIds]) },
      select: { id: true, notifyBy: true, verifiedEmail: true, msisdn: true, language: true, registered: true, erasedAt: true },
    });
    return rows
      .filter((row) => !row.erasedAt)
      .map((row) => ({
        subscriberId: row.id,
        notifyBy: normalizeNotifyBy(row.notifyBy),
        email: row.verifiedEmail,
        msisdn: row.msisdn,
        language: row.language,
        registered: row.registered,
      }));
  }
}
