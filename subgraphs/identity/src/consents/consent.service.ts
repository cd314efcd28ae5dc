import { randomUUID } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import { ErrorCode, type SubgraphRuntime, identityEvents } from '@selfcare/shared';
import type { ActivityService } from '../activity/activity.service';
import type { ActorKind, ChannelName } from '../common/actor';
import { refusal } from '../common/errors';
import { sequentialId } from '../common/ids';
import type { SessionService } from '../sessions/session.service';
import { SubscriberEntity } from '../subscribers/subscriber.entity';
import type { TermsRecords } from '../terms/terms.store';
import { AshyqRecordEntity, CONSENT_PURPOSES, ConsentEntity, ConsentHistoryEntity, type ConsentPurposeName, type ConsentSource } from './consent.entities';
import { type ActivityDetail, detail } from '../activity/activity-details';

/** Consents that only make sense while personal data may be processed (terms 2.12): they end with it. */
export const DEPENDS_ON_PERSONAL_DATA: ConsentPurposeName[] = ['PARTNER_SHARING', 'MARKETING_EMAIL', 'MARKETING_SMS', 'ASHYQ'];

/** Registering is consent to processing and partner sharing (terms 2.11) and to offers by e-mail and SMS (terms 6.4). */
export const REGISTRATION_CONSENTS: ConsentPurposeName[] = ['PERSONAL_DATA', 'PARTNER_SHARING', 'MARKETING_EMAIL', 'MARKETING_SMS'];

export interface ConsentActor {
  actorId: string | null;
  actorKind: ActorKind;
  channel: ChannelName | null;
  viaManagement: boolean;
}

export interface ConsentChange {
  consent: ConsentEntity;
  /** every purpose whose state changed, the requested one first */
  changed: ConsentPurposeName[];
  /** Ashyq records deleted (terms 2.14) */
  ashyqRecordsDeleted: number;
  /** true when PERSONAL_DATA was withdrawn now: the subscriber's sessions were ended with it (terms 2.12) */
  personalDataWithdrawn: boolean;
}

const WITHDRAWAL_NEEDS_CONFIRMATION = {
  KK: 'Дербес деректерді өңдеуге келісімді қайтарып алу барлық құрылғылардағы кабинет сеанстарын аяқтайды, маркетингке, серіктестерге беруге және Ashyq-қа келісімдерді қайтарып алады (Ashyq деректері жойылады) және e-mail хабарламаларын тоқтатады. Қайта кіру келісім болып саналады (шарттар 2.11). Растау үшін confirm: true жіберіңіз.',
  RU: 'Отзыв согласия на обработку персональных данных завершит сеансы кабинета на всех устройствах, отзовёт согласия на рекламу, передачу партнёрам и Ashyq (данные Ashyq будут удалены) и отключит уведомления по e-mail. Повторный вход считается согласием (условия 2.11). Чтобы подтвердить, повторите запрос с confirm: true.',
  EN: 'Withdrawing consent to personal-data processing ends your cabinet sessions on every device, withdraws the consents to marketing, partner sharing and Ashyq (Ashyq data is deleted) and stops e-mail notifications. Logging in again counts as consent (terms 2.11). Repeat with confirm: true to proceed.',
};

const PERSONAL_DATA_FIRST = {
  KK: 'Алдымен дербес деректерді өңдеуге келісім беріңіз',
  RU: 'Сначала дайте согласие на обработку персональных данных',
  EN: 'Consent to personal-data processing first',
};

/**
 * Consents per purpose with their full history (terms 2.11–2.14, 6.4). The current state is one row per
 * subscriber and purpose; every change also appends a history row (who, when, channel, source, terms version),
 * an activity entry (terms 2.4) and a `ConsentChanged` event, all in one transaction.
 */
export class ConsentService {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly activity: ActivityService,
    private readonly sessions: SessionService,
    private readonly termsRecords: TermsRecords,
  ) {}

  /**
   * Called by the login at registration (first login): terms 2.11 processing + partners, terms 6.4 e-mail + SMS offers, and
   * terms 6.1/6.2 registering is accepting the terms in force — recorded here, with the channel.
   */
  async recordRegistrationConsents(manager: EntityManager, subscriberId: string, channel: ChannelName, termsVersion: string | null): Promise<void> {
    const existing = await manager.find(ConsentEntity, { where: { subscriberId } });
    const recorded = new Set(existing.map((c) => c.purpose));
    const actor: ConsentActor = { actorId: subscriberId, actorKind: 'SUBSCRIBER', channel, viaManagement: false };
    for (const purpose of REGISTRATION_CONSENTS) {
      // A purpose already on record (e.g. withdrawn before a re-registration) is the subscriber's later word: keep it.
      if (recorded.has(purpose)) continue;
      await this.write(manager, subscriberId, purpose, true, actor, 'REGISTRATION', termsVersion, null);
    }
    if (termsVersion) await this.termsRecords.recordAcceptance(manager, { subscriberId, version: termsVersion, channel, method: 'REGISTRATION' });
  }

  /** Current consents of many subscribers in one statement (the DataLoader's batch). */
  async currentFor(subscriberIds: readonly string[], manager: EntityManager = this.runtime.database.manager): Promise<ConsentEntity[]> {
    if (subscriberIds.length === 0) return [];
    return manager.find(ConsentEntity, { where: { subscriberId: In([...subscriberIds]) } });
  }

  async personalDataWithdrawn(manager: EntityManager, subscriberId: string): Promise<boolean> {
    const row = await manager.findOne(ConsentEntity, { where: { subscriberId, purpose: 'PERSONAL_DATA' } });
    return !!row && !row.granted;
  }

  async historyFor(subscriberIds: readonly string[], manager: EntityManager = this.runtime.database.manager): Promise<ConsentHistoryEntity[]> {
    if (subscriberIds.length === 0) return [];
    return manager.find(ConsentHistoryEntity, { where: { subscriberId: In([...subscriberIds]) }, order: { at: 'ASC', id: 'ASC' } });
  }

  /**
   * setConsent (terms 2.12, 2.14). Withdrawing PERSONAL_DATA needs `confirm`; it withdraws the dependent consents,
   * deletes Ashyq data, drops EMAIL from the notification channels and ends every session (tokens refused with
   * CONSENT_REQUIRED) — all in the caller's transaction.
   * Granting a dependent consent while PERSONAL_DATA is withdrawn is refused (CONSENT_REQUIRED).
   */
  async set(
    manager: EntityManager,
    subscriberId: string,
    purpose: ConsentPurposeName,
    granted: boolean,
    actor: ConsentActor,
    options: { confirm?: boolean | null; source?: ConsentSource } = {},
  ): Promise<ConsentChange> {
    if (purpose === 'PERSONAL_DATA' && !granted && options.confirm !== true) {
      throw refusal(ErrorCode.CONSENT_REQUIRED, WITHDRAWAL_NEEDS_CONFIRMATION, 'confirm');
    }
    // One subscriber's consent changes run one at a time: the subscriber row is the lock.
    const subscriber = await manager.findOne(SubscriberEntity, { where: { id: subscriberId }, lock: this.runtime.database.lockMode });
    if (!subscriber || subscriber.erasedAt) throw refusal(ErrorCode.NOT_FOUND);
    const current = new Map((await manager.find(ConsentEntity, { where: { subscriberId } })).map((c) => [c.purpose, c]));
    if (granted && purpose !== 'PERSONAL_DATA' && current.get('PERSONAL_DATA')?.granted === false) {
      throw refusal(ErrorCode.CONSENT_REQUIRED, PERSONAL_DATA_FIRST, 'purpose');
    }
    const termsVersion = await this.termsRecords.currentVersion(manager);
    const source = options.source ?? 'CABINET';
    const change: ConsentChange = { consent: current.get(purpose)!, changed: [], ashyqRecordsDeleted: 0, personalDataWithdrawn: false };
    if (current.get(purpose)?.granted !== granted) {
      change.consent = await this.write(manager, subscriberId, purpose, granted, actor, source, termsVersion, current.get(purpose) ?? null);
      change.changed.push(purpose);
    }
    if (purpose === 'PERSONAL_DATA' && !granted && change.changed.length > 0) {
      change.personalDataWithdrawn = true;
      for (const dependent of DEPENDS_ON_PERSONAL_DATA) {
        const row = current.get(dependent);
        if (!row?.granted) continue;
        await this.write(manager, subscriberId, dependent, false, actor, 'PERSONAL_DATA_WITHDRAWN', termsVersion, row);
        change.changed.push(dependent);
      }
      // The e-mail address is optional personal data: no e-mail notifications while processing is refused.
      const channels = (subscriber.notifyBy ?? []).filter((c) => c !== 'EMAIL');
      if (channels.length !== (subscriber.notifyBy ?? []).length) {
        await manager.update(SubscriberEntity, { id: subscriberId }, { notifyBy: channels.length > 0 ? channels : ['CABINET'], updatedAt: this.runtime.clock.now() });
      }
    }
    if (!granted && (purpose === 'ASHYQ' || change.changed.includes('ASHYQ'))) {
      // terms 2.14: stopping Ashyq ends the consent and deletes every piece of data received from it.
      change.ashyqRecordsDeleted = (await manager.delete(AshyqRecordEntity, { subscriberId })).affected ?? 0;
    }
    if (change.changed.length > 0 || change.ashyqRecordsDeleted > 0) {
      await this.activity.record(manager, {
        subscriberId,
        actorId: actor.actorId,
        actorKind: actor.actorKind,
        viaManagement: actor.viaManagement,
        channel: actor.channel,
        action: granted ? 'CONSENT_GRANTED' : 'CONSENT_WITHDRAWN',
        detail: describe(change, source),
      });
    }
    if (change.personalDataWithdrawn) {
      // terms 2.12: the cabinet itself processes personal data, so it stops: every session ends now, and any access token
      // still around is refused with CONSENT_REQUIRED. Logging in again is a new consent (terms 2.11, see consentByLogin).
      await this.sessions.end(manager, await this.sessions.liveSessions(manager, subscriberId), 'ACCESS_REVOKED');
      await this.sessions.revocations.revokeSubject(manager, subscriberId, { since: this.runtime.clock.now().getTime(), code: ErrorCode.CONSENT_REQUIRED });
    }
    return change;
  }

  /** terms 6.4: the unsubscribe link withdraws MARKETING_EMAIL without a login; a second use changes nothing. */
  async withdrawByLink(manager: EntityManager, subscriberId: string, purpose: ConsentPurposeName): Promise<ConsentChange | null> {
    const subscriber = await manager.findOne(SubscriberEntity, { where: { id: subscriberId } });
    if (!subscriber || subscriber.erasedAt) return null;
    return this.set(manager, subscriberId, purpose, false, { actorId: subscriberId, actorKind: 'SUBSCRIBER', channel: null, viaManagement: false }, { source: 'UNSUBSCRIBE_LINK' });
  }

  /** terms 2.11: logging in is consent to processing — after a withdrawal, the next login records it again. */
  async consentByLogin(manager: EntityManager, subscriberId: string, channel: ChannelName, termsVersion: string | null): Promise<boolean> {
    const row = await manager.findOne(ConsentEntity, { where: { subscriberId, purpose: 'PERSONAL_DATA' } });
    if (!row || row.granted) return false;
    await this.write(manager, subscriberId, 'PERSONAL_DATA', true, { actorId: subscriberId, actorKind: 'SUBSCRIBER', channel, viaManagement: false }, 'LOGIN', termsVersion, row);
    await this.activity.record(manager, {
      subscriberId,
      actorId: subscriberId,
      actorKind: 'SUBSCRIBER',
      viaManagement: false,
      channel,
      action: 'CONSENT_GRANTED',
      detail: detail('CONSENT_BY_LOGIN'),
    });
    return true;
  }

  /** Whether each subscriber has granted `purpose` now (and not withdrawn personal-data processing). */
  async grantedAmong(manager: EntityManager, subscriberIds: readonly string[], purpose: ConsentPurposeName): Promise<Set<string>> {
    if (subscriberIds.length === 0) return new Set();
    const rows = await manager.find(ConsentEntity, { where: { subscriberId: In([...subscriberIds]), purpose: In([purpose, 'PERSONAL_DATA']) } });
    const personalDataRefused = new Set(rows.filter((r) => r.purpose === 'PERSONAL_DATA' && !r.granted).map((r) => r.subscriberId));
    return new Set(rows.filter((r) => r.purpose === purpose && r.granted && !personalDataRefused.has(r.subscriberId)).map((r) => r.subscriberId));
  }

  /** Data received from Ashyq (terms 2.13), kept apart so that ending the consent deletes all of it (terms 2.14). */
  async receiveAshyqData(subscriberId: string, kind: string, payload: string): Promise<AshyqRecordEntity> {
    return this.runtime.database.transaction(async (manager) => {
      const consent = await manager.findOne(ConsentEntity, { where: { subscriberId, purpose: 'ASHYQ' }, lock: this.runtime.database.lockMode });
      if (!consent?.granted) throw refusal(ErrorCode.CONSENT_REQUIRED);
      const record: AshyqRecordEntity = { id: randomUUID(), subscriberId, kind, payload, receivedAt: this.runtime.clock.now() };
      await manager.insert(AshyqRecordEntity, record);
      return record;
    });
  }

  async ashyqRecords(subscriberId: string): Promise<AshyqRecordEntity[]> {
    return this.runtime.database.manager.find(AshyqRecordEntity, { where: { subscriberId }, order: { receivedAt: 'ASC' } });
  }

  private async write(
    manager: EntityManager,
    subscriberId: string,
    purpose: ConsentPurposeName,
    granted: boolean,
    actor: ConsentActor,
    source: ConsentSource,
    termsVersion: string | null,
    existing: ConsentEntity | null,
  ): Promise<ConsentEntity> {
    const at = this.runtime.clock.now();
    const consent: ConsentEntity = { id: existing?.id ?? randomUUID(), subscriberId, purpose, granted, changedAt: at, termsVersion };
    if (existing) await manager.update(ConsentEntity, { id: existing.id }, { granted, changedAt: at, termsVersion });
    else await manager.insert(ConsentEntity, consent);
    await manager.insert(ConsentHistoryEntity, {
      id: sequentialId(),
      subscriberId,
      purpose,
      granted,
      actorId: actor.actorId,
      actorKind: actor.actorKind,
      channel: actor.channel,
      source,
      termsVersion,
      at,
    });
    await this.runtime.outboxFor(identityEvents).add(manager, 'ConsentChanged', {
      subscriberId,
      purpose,
      granted,
      source,
      termsVersion,
      at: at.toISOString(),
    });
    return consent;
  }
}

export function isConsentPurpose(value: string): value is ConsentPurposeName {
  return (CONSENT_PURPOSES as readonly string[]).includes(value);
}

function describe(change: ConsentChange, source: ConsentSource): ActivityDetail {
  const [first, ...rest] = change.changed.length > 0 ? change.changed : [change.consent.purpose];
  return detail('CONSENT_CHANGED', {
    purpose: first,
    with: rest,
    viaLink: source === 'UNSUBSCRIBE_LINK',
    ashyqRecordsDeleted: change.ashyqRecordsDeleted,
    sessionsEnded: change.personalDataWithdrawn,
  });
}
