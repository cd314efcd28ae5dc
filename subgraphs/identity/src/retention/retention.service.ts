import type { EntityManager } from 'typeorm';
import { type SubgraphRuntime, identityEvents, mentionsUntil, msisdnMention, redactOutboxMentions } from '@selfcare/shared';
import { ActivityEntryEntity } from '../activity/activity.entities';
import type { ActivityService } from '../activity/activity.service';
import { AshyqRecordEntity } from '../consents/consent.entities';
import { EmailVerificationEntity } from '../email/email-verification.entity';
import { CabinetNotificationEntity } from '../notices/notice.entities';
import { SessionEntity } from '../sessions/session.entity';
import { SubscriberEntity } from '../subscribers/subscriber.entity';
import { detail } from '../activity/activity-details';

export interface RetentionOptions {
  /** terms 2.11: kept during the contract and this many years after it ends */
  years: number;
  /** how often the job looks for contracts past retention */
  intervalMs: number;
  /** subscribers erased per run at most (each in its own transaction) */
  batchSize: number;
}

export const DEFAULT_RETENTION: RetentionOptions = { years: 3, intervalMs: 6 * 3600 * 1000, batchSize: 500 };

/**
 * Retention (terms 2.11): personal data of a contract that ended `years` ago is erased, by a scheduled job.
 * What the law needs kept stays, without personal data: the subscriber row (ids, kind, party type, status, dates),
 * the activity record without its free-text details, consent history and terms acceptances (ids, purposes, times).
 * Erased: msisdn, e-mail, login (replaced by `erased:<id>`), credentials, session devices and addresses,
 * e-mail verifications, in-cabinet notifications, Ashyq data, and the outbox rows naming the number or the e-mail.
 * Identity publishes `SubscriberDataErased`; billing, detailing and delegation erase theirs on it (catalog keeps no
 * personal data: ids, tariffs and services only).
 */
export class RetentionService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly activity: ActivityService,
    private readonly options: RetentionOptions = DEFAULT_RETENTION,
  ) {}

  /** The instant before which an ended contract is past retention. */
  cutoff(now: Date = this.runtime.clock.now()): Date {
    const cutoff = new Date(now.getTime());
    cutoff.setUTCFullYear(cutoff.getUTCFullYear() - this.options.years);
    return cutoff;
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running = this.runOnce()
        .catch((error) => this.runtime.logger.error({ err: error }, 'retention run failed; will retry'))
        .finally(() => {
          this.running = null;
        });
    };
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref?.();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Erases every contract past retention; returns how many subscribers were erased. */
  async runOnce(): Promise<number> {
    let erased = 0;
    for (;;) {
      const due = await this.runtime.database.manager
        .createQueryBuilder(SubscriberEntity, 's')
        .select(['s.id'])
        .where('s.accessStatus = :terminated', { terminated: 'TERMINATED' })
        .andWhere('s.contractEndedAt IS NOT NULL')
        .andWhere('s.contractEndedAt <= :cutoff', { cutoff: this.cutoff() })
        .andWhere('s.erasedAt IS NULL')
        .orderBy('s.contractEndedAt', 'ASC')
        .limit(this.options.batchSize)
        .getMany();
      if (due.length === 0) break;
      let progressed = 0;
      for (const { id } of due) {
        if (await this.runtime.database.transaction((manager) => this.erase(manager, id))) progressed += 1;
      }
      erased += progressed;
      if (progressed === 0 || due.length < this.options.batchSize) break;
    }
    if (erased > 0) this.runtime.logger.info({ erased }, 'retention: personal data of ended contracts erased (terms 2.11)');
    return erased;
  }

  private async erase(manager: EntityManager, subscriberId: string): Promise<boolean> {
    const subscriber = await manager.findOne(SubscriberEntity, { where: { id: subscriberId }, lock: this.runtime.database.lockMode });
    const cutoff = this.cutoff();
    if (!subscriber || subscriber.erasedAt || subscriber.accessStatus !== 'TERMINATED' || !subscriber.contractEndedAt || subscriber.contractEndedAt > cutoff) return false;
    const now = this.runtime.clock.now();
    await manager.update(
      SubscriberEntity,
      { id: subscriberId },
      {
        msisdn: null,
        email: null,
        emailVerifiedAt: null,
        verifiedEmail: null,
        login: `erased:${subscriberId}`,
        passwordKdf: null,
        passwordHash: null,
        passwordSetAt: null,
        pendingPasswordHash: null,
        pendingPasswordExpiresAt: null,
        notifyBy: ['CABINET'],
        erasedAt: now,
        updatedAt: now,
      },
    );
    await manager.update(SessionEntity, { subjectId: subscriberId, subjectKind: 'SUBSCRIBER' }, { device: null, clientAddress: null });
    await manager.delete(EmailVerificationEntity, { subscriberId });
    await manager.delete(CabinetNotificationEntity, { subscriberId });
    await manager.delete(AshyqRecordEntity, { subscriberId });
    // The record of actions stays (who, what, when, channel), its free text may name people and numbers: blanked.
    await manager.update(ActivityEntryEntity, { subscriberId }, { details: null, detailCode: null, detailParams: null });
    // Outbox rows that named the number or the address while they were this subscriber's (the relay deletes published
    // rows after days, but keeps the newest of each stream); later ones may be about the number's next holder.
    const mentions = [subscriber.msisdn ? msisdnMention(subscriber.msisdn) : null, subscriber.email, subscriber.verifiedEmail, subscriber.login].filter((m): m is string => !!m);
    await redactOutboxMentions(manager, [...new Set(mentions.map((m) => m.toLowerCase()))], mentionsUntil({ contractEndedAt: subscriber.contractEndedAt }), now);
    await this.activity.record(manager, {
      subscriberId,
      actorId: null,
      actorKind: 'SYSTEM',
      viaManagement: false,
      channel: null,
      action: 'PERSONAL_DATA_ERASED',
      detail: detail('PERSONAL_DATA_ERASED', { contractEndedAt: subscriber.contractEndedAt.toISOString() }),
    });
    await this.runtime.outboxFor(identityEvents).add(manager, 'SubscriberDataErased', {
      subscriberId,
      contractEndedAt: subscriber.contractEndedAt.toISOString(),
      erasedAt: now.toISOString(),
    });
    return true;
  }
}
