import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { SubgraphRuntime } from '@selfcare/shared';
import type { ActivityService } from '../activity/activity.service';
import { type AcceptanceMethod, TermsAcceptanceEntity, TermsVersionEntity } from './terms.entities';
import { detail } from '../activity/activity-details';

/**
 * The terms versions and acceptances as stored (terms 6.1, 6.6): read by the terms and consents services, which both
 * record acceptances (at registration, explicitly, by continued use).
 */
export class TermsRecords {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly activity: ActivityService,
  ) {}

  /** The version in force: the one published last (highest ordinal). */
  current(manager: EntityManager): Promise<TermsVersionEntity | null> {
    return manager.findOne(TermsVersionEntity, { where: {}, order: { ordinal: 'DESC' } });
  }

  async currentVersion(manager: EntityManager): Promise<string | null> {
    return (await this.current(manager))?.version ?? null;
  }

  /**
   * Records that a subscriber accepted a terms version (once per version: a second acceptance is a no-op), with the
   * time and channel, and an activity entry. Returns whether it was new.
   */
  async recordAcceptance(
    manager: EntityManager,
    acceptance: { subscriberId: string; version: string; channel: 'WEB' | 'MOBILE_APP' | null; method: AcceptanceMethod },
  ): Promise<boolean> {
    const existing = await manager.findOne(TermsAcceptanceEntity, { where: { subscriberId: acceptance.subscriberId, version: acceptance.version }, select: { id: true } });
    if (existing) return false;
    // A concurrent login may record it at the same moment: the unique key keeps one row, the later insert is ignored.
    await manager
      .createQueryBuilder()
      .insert()
      .into(TermsAcceptanceEntity)
      .values({ id: randomUUID(), ...acceptance, acceptedAt: this.runtime.clock.now() })
      .orIgnore()
      .updateEntity(false)
      .execute();
    await this.activity.record(manager, {
      subscriberId: acceptance.subscriberId,
      actorId: acceptance.subscriberId,
      actorKind: 'SUBSCRIBER',
      viaManagement: false,
      channel: acceptance.channel,
      action: 'TERMS_ACCEPTED',
      detail: detail('TERMS_ACCEPTED', { version: acceptance.version, method: acceptance.method }),
    });
    return true;
  }
}
