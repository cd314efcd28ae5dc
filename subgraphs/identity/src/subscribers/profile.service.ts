import { ErrorCode, Language, SubgraphRuntime, SubscriberCaller, identityEvents } from '@selfcare/shared';
import { identityError } from '../common/errors';
import type { ActivityService } from '../activity/activity.service';
import { SubscriberEntity } from './subscriber.entity';
import { SubscriberService } from './subscriber.service';
import { detail } from '../activity/activity-details';

/** The subscriber's own settings (the language of SMS, e-mails and error texts). */
export class ProfileService {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly subscribers: SubscriberService,
    private readonly activity: ActivityService,
  ) {}

  async setLanguage(caller: SubscriberCaller, language: Language): Promise<SubscriberEntity> {
    return this.runtime.database.transaction(async (manager) => {
      const subscriber = await this.subscribers.lock(manager, caller.subscriberId);
      if (!subscriber) throw identityError(ErrorCode.UNAUTHENTICATED);
      if (subscriber.language === language) return subscriber;
      const now = this.runtime.clock.now();
      const previous = subscriber.language;
      await manager.update(SubscriberEntity, { id: subscriber.id }, { language, updatedAt: now });
      subscriber.language = language;
      // Other services send SMS in the subscriber's language (delegation's codes, billing's notices).
      await this.runtime.outboxFor(identityEvents).add(manager, 'SubscriberLanguageChanged', { subscriberId: subscriber.id, language });
      await this.activity.record(manager, {
        subscriberId: subscriber.id,
        actorId: caller.subscriberId,
        actorKind: 'SUBSCRIBER',
        viaManagement: false,
        channel: caller.channel,
        action: 'LANGUAGE_CHANGED',
        detail: detail('LANGUAGE_CHANGED', { from: previous, to: language }),
      });
      return subscriber;
    });
  }
}
