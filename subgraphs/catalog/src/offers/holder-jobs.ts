import { randomUUID } from 'node:crypto';
import { IsNull, LessThan, MoreThan } from 'typeorm';
import type { EntityManager } from 'typeorm';
import {
  Clock,
  ContractOutbox,
  Database,
  Language,
  Logger,
  Texts,
  catalogEvents,
  dayForPeople,
  formatMinorUnits,
  interpolate,
  operatorDay,
  isUuid,
} from '@selfcare/shared';
import { ServiceEntity, ServiceVersionEntity, TariffPlanEntity, TariffPlanVersionEntity } from './entities';
import { OfferHolderJobEntity } from './admin-entities';
import { ConnectedServiceEntity, SubscriberLineEntity, TariffPeriodEntity } from '../inventory/entities';

const money = (minor: number) => `${formatMinorUnits(minor)} ₸`;

type Notice = Record<Language, { title: string; body: string }>;

function notice(title: Texts, body: Texts, params: (language: Language) => Record<string, string>): Notice {
  const one = (language: Language) => ({ title: interpolate(title[language], params(language)), body: interpolate(body[language], params(language)) });
  return { KK: one(Language.KK), RU: one(Language.RU), EN: one(Language.EN) };
}

const TEXTS = {
  tariffVersion: {
    title: { KK: '«{name}» тарифінің шарттары өзгерді', RU: 'Новые условия тарифа «{name}»', EN: 'New terms of the tariff "{name}"' },
    body: {
      KK: '{date} бастап «{name}» тарифінде {terms} шарттары қолданылады: ай сайынғы төлем {monthly}. Толығырақ: {url}',
      RU: 'С {date} на тарифе «{name}» действуют условия {terms}: абонентская плата {monthly} в месяц. Подробнее: {url}',
      EN: 'From {date} the tariff "{name}" runs under terms {terms}: monthly fee {monthly}. Details: {url}',
    },
  },
  serviceVersion: {
    title: { KK: '«{name}» қызметінің шарттары өзгерді', RU: 'Новые условия услуги «{name}»', EN: 'New terms of the service "{name}"' },
    body: {
      KK: '{date} бастап «{name}» қызметінде {terms} шарттары қолданылады: ай сайынғы төлем {monthly}. Толығырақ: {url}',
      RU: 'С {date} услуга «{name}» предоставляется на условиях {terms}: абонентская плата {monthly} в месяц. Подробнее: {url}',
      EN: 'From {date} the service "{name}" runs under terms {terms}: monthly fee {monthly}. Details: {url}',
    },
  },
  migrated: {
    title: { KK: '«{name}» тарифі жабылды', RU: 'Тариф «{name}» закрыт', EN: 'The tariff "{name}" is closed' },
    body: {
      KK: '«{name}» тарифі енді қызмет көрсетпейді: нөміріңіз ауысу ақысыз «{replacement}» тарифіне ауыстырылды (ай сайынғы төлем {monthly}).',
      RU: 'Тариф «{name}» больше не обслуживается: ваш номер переведён на тариф «{replacement}» без платы за переход (абонентская плата {monthly} в месяц).',
      EN: 'The tariff "{name}" is no longer served: your number was moved to the tariff "{replacement}" without a switch fee (monthly fee {monthly}).',
    },
  },
  ended: {
    title: { KK: '«{name}» қызметі жабылды', RU: 'Услуга «{name}» закрыта', EN: 'The service "{name}" is closed' },
    body: {
      KK: '«{name}» қызметі енді көрсетілмейді және өшірілді; оның ақысы бүгіннен кейін алынбайды.',
      RU: 'Услуга «{name}» больше не предоставляется и отключена; плата за неё после сегодняшнего дня не списывается.',
      EN: 'The service "{name}" is no longer provided and was disconnected; it is not charged after today.',
    },
  },
};

/**
 * Carries an operator's change to every holder of the offer, in batches (one transaction each, the cursor with it):
 * a new version (a notice per notifyBy, terms 2.8, and an activity entry, terms 2.4), an obsolete tariff (its lines moved to the
 * replacement, no switch fee), an obsolete service (its connections ended). A job runs in one process at a time
 * (its lease); a restart resumes after the last batch committed.
 */
export class HolderJobs {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly database: Database,
    private readonly outbox: ContractOutbox<typeof catalogEvents>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: { batchSize: number; pollMs: number; leaseMs: number },
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.poke(), this.options.pollMs);
    this.timer.unref();
    void this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Runs what is due now (after a staff operation); resolves when this round is done. */
  poke(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.runDue();
        } catch (error) {
          this.logger.warn({ err: error }, 'holder jobs round failed; retried');
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runDue(): Promise<void> {
    const now = this.clock.now();
    const due = await this.database.manager.find(OfferHolderJobEntity, {
      where: [
        { finishedAt: IsNull(), leaseUntil: IsNull() },
        { finishedAt: IsNull(), leaseUntil: LessThan(now) },
      ],
      order: { createdAt: 'ASC' },
    });
    for (const job of due) {
      try {
        while (!this.stopped && (await this.batch(job.id))) {
          // next batch
        }
      } catch (error) {
        // One job failing (its batch rolled back, retried next round) does not hold the others back.
        this.logger.error({ err: error, jobId: job.id, kind: job.kind }, 'holder job batch failed; retried');
      }
    }
  }

  /** One batch of holders; true while there are more. */
  private batch(jobId: string): Promise<boolean> {
    return this.database.transaction(async (manager) => {
      const job = await manager.findOne(OfferHolderJobEntity, { where: { id: jobId }, lock: this.database.lockMode });
      const now = this.clock.now();
      // The job's row lock serializes batches across processes; each reads its holders after the committed cursor.
      if (!job || job.finishedAt) return false;
      const holders = await this.holders(manager, job);
      for (const subscriberId of holders) await this.serve(manager, job, subscriberId, now);
      const finished = holders.length < this.options.batchSize;
      await manager.update(OfferHolderJobEntity, { id: job.id }, {
        afterSubscriberId: holders.length ? holders[holders.length - 1]! : job.afterSubscriberId,
        done: job.done + holders.length,
        leaseUntil: finished ? null : new Date(now.getTime() + this.options.leaseMs),
        finishedAt: finished ? now : null,
      });
      return !finished;
    });
  }

  private async holders(manager: EntityManager, job: OfferHolderJobEntity): Promise<string[]> {
    const after = MoreThan(job.afterSubscriberId ?? '');
    const take = this.options.batchSize;
    if (job.offerKind === 'TARIFF') {
      const lines = await manager.find(SubscriberLineEntity, { select: { subscriberId: true }, where: { tariffPlanId: job.offerId, subscriberId: after }, order: { subscriberId: 'ASC' }, take });
      return lines.map((l) => l.subscriberId);
    }
    const rows = await manager
      .createQueryBuilder(ConnectedServiceEntity, 'c')
      .select('c.subscriber_id', 'subscriberId')
      .where('c.service_id = :serviceId AND c.disconnected_at IS NULL AND c.subscriber_id > :after', { serviceId: job.offerId, after: job.afterSubscriberId ?? '' })
      .groupBy('c.subscriber_id')
      .orderBy('c.subscriber_id', 'ASC')
      .limit(take)
      .getRawMany<{ subscriberId: string }>();
    return rows.map((r) => r.subscriberId);
  }

  private async serve(manager: EntityManager, job: OfferHolderJobEntity, subscriberId: string, now: Date): Promise<void> {
    switch (job.kind) {
      case 'NOTIFY_NEW_VERSION':
        return job.offerKind === 'TARIFF' ? this.tellTariffVersion(manager, job, subscriberId) : this.tellServiceVersion(manager, job, subscriberId);
      case 'MIGRATE_TARIFF':
        return this.migrate(manager, job, subscriberId, now);
      case 'END_SERVICE':
        return this.end(manager, job, subscriberId, now);
    }
  }

  private async tellTariffVersion(manager: EntityManager, job: OfferHolderJobEntity, subscriberId: string): Promise<void> {
    const [plan, version] = await Promise.all([manager.findOneOrFail(TariffPlanEntity, { where: { id: job.offerId } }), manager.findOneOrFail(TariffPlanVersionEntity, { where: { id: job.versionId! } })]);
    const params = (language: Language) => ({ name: plan.name[language], date: dayForPeople(operatorDay(version.effectiveFrom)), terms: version.termsVersion, monthly: money(version.monthlyFeeMinor), url: version.termsUrl });
    await this.tell(manager, job, subscriberId, `offer-version:${version.id}`, notice(TEXTS.tariffVersion.title, TEXTS.tariffVersion.body, params), 'TARIFF_TERMS_CHANGED');
  }

  private async tellServiceVersion(manager: EntityManager, job: OfferHolderJobEntity, subscriberId: string): Promise<void> {
    const [service, version] = await Promise.all([manager.findOneOrFail(ServiceEntity, { where: { id: job.offerId } }), manager.findOneOrFail(ServiceVersionEntity, { where: { id: job.versionId! } })]);
    const params = (language: Language) => ({ name: service.name[language], date: dayForPeople(operatorDay(version.effectiveFrom)), terms: version.termsVersion, monthly: money(version.monthlyFeeMinor), url: version.termsUrl });
    await this.tell(manager, job, subscriberId, `offer-version:${version.id}`, notice(TEXTS.serviceVersion.title, TEXTS.serviceVersion.body, params), 'SERVICE_TERMS_CHANGED');
  }

  /** The line moves to the replacement at once, like a tariff change without a switch fee (a new tariff period). */
  private async migrate(manager: EntityManager, job: OfferHolderJobEntity, subscriberId: string, now: Date): Promise<void> {
    const line = await manager.findOne(SubscriberLineEntity, { where: { subscriberId }, lock: this.database.lockMode });
    if (!line || line.tariffPlanId !== job.offerId) return;
    const [plan, replacement, version] = await Promise.all([
      manager.findOneOrFail(TariffPlanEntity, { where: { id: job.offerId } }),
      manager.findOneOrFail(TariffPlanEntity, { where: { id: job.replacementId! } }),
      manager.findOneOrFail(TariffPlanVersionEntity, { where: { id: job.versionId! } }),
    ]);
    await manager.update(TariffPeriodEntity, { subscriberId, endsAt: IsNull() }, { endsAt: now });
    await manager.insert(TariffPeriodEntity, { id: randomUUID(), subscriberId, tariffPlanId: replacement.id, tariffVersionId: version.id, startsAt: now, endsAt: null, orderId: null });
    await manager.update(SubscriberLineEntity, { subscriberId }, { tariffPlanId: replacement.id, tariffVersionId: version.id, tariffSince: now, updatedAt: now });
    const params = (language: Language) => ({ name: plan.name[language], replacement: replacement.name[language], monthly: money(version.monthlyFeeMinor) });
    await this.tell(manager, job, subscriberId, `tariff-obsolete:${plan.id}`, notice(TEXTS.migrated.title, TEXTS.migrated.body, params), 'TARIFF_CHANGED');
  }

  private async end(manager: EntityManager, job: OfferHolderJobEntity, subscriberId: string, now: Date): Promise<void> {
    await manager.update(ConnectedServiceEntity, { subscriberId, serviceId: job.offerId, disconnectedAt: IsNull() }, { disconnectedAt: now });
    const service = await manager.findOneOrFail(ServiceEntity, { where: { id: job.offerId } });
    const params = (language: Language) => ({ name: service.name[language] });
    await this.tell(manager, job, subscriberId, `service-obsolete:${service.id}`, notice(TEXTS.ended.title, TEXTS.ended.body, params), 'SERVICE_DISCONNECTED');
  }

  private async tell(manager: EntityManager, job: OfferHolderJobEntity, subscriberId: string, key: string, texts: Notice, action: string): Promise<void> {
    // Lines identity provisioned have UUIDs; one that has not (an old test line, say) gets its change, not a message.
    if (!isUuid(subscriberId)) return;
    await this.outbox.add(manager, 'SubscriberNotificationRequested', { subscriberId, key, texts });
    await this.outbox.add(manager, 'ActivityRecorded', {
      subscriberId,
      actorId: job.staffId,
      actorKind: 'STAFF',
      viaManagement: false,
      channel: null,
      action,
      details: `${texts.EN.title}: ${texts.EN.body}`.slice(0, 2000),
      detailTexts: { KK: `${texts.KK.title}: ${texts.KK.body}`.slice(0, 2000), RU: `${texts.RU.title}: ${texts.RU.body}`.slice(0, 2000), EN: `${texts.EN.title}: ${texts.EN.body}`.slice(0, 2000) },
    });
  }
}
