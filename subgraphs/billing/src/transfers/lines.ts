import type { EntityManager } from 'typeorm';
import { Clock, Database, EventPayload, InternalClient, Logger, demoSubscribers, identityEvents, normalizeMsisdn, notifyPreferences } from '@selfcare/shared';
import { AccountEntity } from '../accounts/entities';
import { LineEntity } from './entities';

type Provisioned = EventPayload<typeof identityEvents, 'SubscriberProvisioned'>;

/**
 * Which subscriber a Beeline number is, and the language of its SMS — billing's own view, kept from identity's
 * events, so a transfer finds its payee and sends its code without asking identity. Accounts opened before this view
 * existed (or seeded) are filled in once from identity's notify-preferences route.
 */
export class LineDirectory {
  private backfillTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly database: Database,
    private readonly internal: InternalClient,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async provisioned(manager: EntityManager, line: Provisioned): Promise<void> {
    await manager.save(LineEntity, {
      subscriberId: line.subscriberId,
      msisdn: line.msisdn ? normalizeMsisdn(line.msisdn) : null,
      language: line.language ?? 'RU',
      ended: false,
      updatedAt: this.clock.now(),
    });
  }

  async languageChanged(manager: EntityManager, subscriberId: string, language: string): Promise<void> {
    await manager.update(LineEntity, { subscriberId }, { language, updatedAt: this.clock.now() });
  }

  /** A contract that ended takes no transfers (its number may be given to someone else later). */
  async accessChanged(manager: EntityManager, subscriberId: string, status: string): Promise<void> {
    await manager.update(LineEntity, { subscriberId }, { ended: status === 'TERMINATED', updatedAt: this.clock.now() });
  }

  /** terms 2.11: the number is personal data. */
  async erased(manager: EntityManager, subscriberId: string): Promise<void> {
    await manager.update(LineEntity, { subscriberId }, { msisdn: null, ended: true, updatedAt: this.clock.now() });
  }

  async byMsisdn(msisdn: string): Promise<LineEntity | null> {
    return this.database.manager.findOne(LineEntity, { where: { msisdn, ended: false }, order: { updatedAt: 'DESC' } });
  }

  /** Inside a transaction pass its manager: on MariaDB another pool connection could be waiting behind this one's locks. */
  async line(subscriberId: string, manager: EntityManager = this.database.manager): Promise<LineEntity | null> {
    return manager.findOne(LineEntity, { where: { subscriberId } });
  }

  /** The embedded default's demo subscribers (their accounts are seeded, not provisioned). */
  async seedDemo(): Promise<void> {
    await this.database.transaction(async (manager) => {
      for (const demo of demoSubscribers) {
        if (await manager.exists(LineEntity, { where: { subscriberId: demo.id } })) continue;
        await manager.insert(LineEntity, { subscriberId: demo.id, msisdn: demo.msisdn, language: demo.language, ended: false, updatedAt: this.clock.now() });
      }
    });
  }

  /** Fills in accounts without a line from identity, 1000 at a time; retried later while identity does not answer. */
  async backfill(): Promise<number> {
    let filled = 0;
    for (;;) {
      const missing = await this.database.manager
        .createQueryBuilder(AccountEntity, 'a')
        .leftJoin(LineEntity, 'l', 'l.subscriber_id = a.subscriber_id')
        .where('l.subscriber_id IS NULL')
        .select('a.subscriber_id', 'subscriberId')
        .limit(1000)
        .getRawMany<{ subscriberId: string }>();
      if (missing.length === 0) return filled;
      const ids = missing.map((m) => m.subscriberId);
      const { subscribers } = await this.internal.call(notifyPreferences, { subscriberIds: ids });
      const known = new Map(subscribers.map((s) => [s.subscriberId, s]));
      await this.database.transaction(async (manager) => {
        for (const subscriberId of ids) {
          if (await manager.exists(LineEntity, { where: { subscriberId } })) continue;
          const found = known.get(subscriberId);
          // Left out by identity: erased (or unknown) — nobody to transfer to.
          await manager.insert(LineEntity, {
            subscriberId,
            msisdn: found?.msisdn ? normalizeMsisdn(found.msisdn) : null,
            language: found?.language ?? 'RU',
            ended: !found,
            updatedAt: this.clock.now(),
          });
        }
      });
      filled += ids.length;
    }
  }

  startBackfill(retryMs = 60_000): void {
    const run = async () => {
      try {
        const filled = await this.backfill();
        if (filled) this.logger.info({ filled }, 'lines filled in from identity');
      } catch (error) {
        this.logger.info({ err: error }, 'filling in lines from identity failed; trying again later');
        this.backfillTimer = setTimeout(() => void run(), retryMs);
        this.backfillTimer.unref?.();
      }
    };
    void run();
  }

  stop(): void {
    if (this.backfillTimer) clearTimeout(this.backfillTimer);
    this.backfillTimer = null;
  }
}
