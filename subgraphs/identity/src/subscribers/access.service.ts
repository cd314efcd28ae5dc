import type { EntityManager } from 'typeorm';
import { ErrorCode, SubgraphRuntime, billingEvents, identityEvents } from '@selfcare/shared';
import { identityBadInput, identityError, IdentityError } from '../common/errors';
import type { ActivityService } from '../activity/activity.service';
import type { SessionService } from '../sessions/session.service';
import { SessionEntity } from '../sessions/session.entity';
import { Actor, SYSTEM_ACTOR } from '../common/actor';
import { AccessReasonValue, AccessStatusValue, SubscriberEntity } from './subscriber.entity';
import { detail } from '../activity/activity-details';

const SUSPENSION_REASONS: AccessReasonValue[] = ['DEBT', 'BREACH', 'UNLAWFUL_USE'];
const BLOCK_REASONS: AccessReasonValue[] = ['THIRD_PARTY_DATA', 'PERSONAL_DATA_WITHDRAWN'];

/** The refusal a subscriber in this status gets at login, refresh, and on every request with an older token. */
export function accessRefusalCode(status: AccessStatusValue): ErrorCode | null {
  switch (status) {
    case 'SUSPENDED':
      return ErrorCode.ACCESS_SUSPENDED;
    case 'BLOCKED':
      return ErrorCode.ACCESS_BLOCKED;
    case 'TERMINATED':
      return ErrorCode.ACCESS_TERMINATED;
    default:
      return null;
  }
}

export function accessRefusal(subscriber: SubscriberEntity): IdentityError | null {
  const code = accessRefusalCode(subscriber.accessStatus);
  return code ? identityError(code, { extensions: subscriber.accessReason ? { reason: subscriber.accessReason } : {} }) : null;
}

export interface StatusChange {
  status: AccessStatusValue;
  reason?: AccessReasonValue | null;
}

/**
 * Cabinet access (terms 3.3: ends with the contract, suspended while the contract is broken, e.g. unpaid debt;
 * terms 2.8: unlawful use suspends at once; terms 2.12: blocked for a third party's data). A change cuts off the tokens
 * already issued on the very next request to any service (revocation store), not at their expiry.
 */
export class AccessService {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly activity: ActivityService,
    private readonly sessions: SessionService,
  ) {}

  /** Checks a requested change and fills in the reason it implies. */
  normalize(subscriber: SubscriberEntity, change: StatusChange): { status: AccessStatusValue; reason: AccessReasonValue | null } {
    if (subscriber.accessStatus === 'TERMINATED') {
      throw identityError(ErrorCode.CONFLICT, {
        texts: { KK: 'Шарт тоқтатылған', RU: 'Договор уже расторгнут', EN: 'The contract has already ended' },
      });
    }
    const reason = change.reason ?? null;
    switch (change.status) {
      case 'ACTIVE':
        // terms 3.3: access stays suspended while a debt is outstanding.
        return subscriber.debtOutstanding ? { status: 'SUSPENDED', reason: 'DEBT' } : { status: 'ACTIVE', reason: null };
      case 'SUSPENDED':
        if (!reason || !SUSPENSION_REASONS.includes(reason)) {
          throw identityBadInput('reason', {
            KK: 'Тоқтату себебі: DEBT, BREACH немесе UNLAWFUL_USE',
            RU: 'Причина приостановки: DEBT, BREACH или UNLAWFUL_USE',
            EN: 'A suspension needs a reason: DEBT, BREACH or UNLAWFUL_USE',
          });
        }
        return { status: 'SUSPENDED', reason };
      case 'BLOCKED':
        if (reason && !BLOCK_REASONS.includes(reason)) {
          throw identityBadInput('reason', {
            KK: 'Бұғаттау себебі: THIRD_PARTY_DATA немесе PERSONAL_DATA_WITHDRAWN',
            RU: 'Причина блокировки: THIRD_PARTY_DATA или PERSONAL_DATA_WITHDRAWN',
            EN: 'A block needs the reason THIRD_PARTY_DATA or PERSONAL_DATA_WITHDRAWN',
          });
        }
        return { status: 'BLOCKED', reason: reason ?? 'THIRD_PARTY_DATA' };
      case 'TERMINATED':
        return { status: 'TERMINATED', reason: 'CONTRACT_ENDED' };
      default:
        throw identityBadInput('status', { KK: 'Күй қате', RU: 'Неверный статус', EN: 'Unknown status' });
    }
  }

  /**
   * Applies a change to a subscriber row locked by the caller's transaction. Returns false when nothing changed.
   * The revocation is the last step inside the transaction: if the store is unreachable nothing is committed.
   */
  async change(manager: EntityManager, subscriber: SubscriberEntity, requested: StatusChange, actor: Actor): Promise<boolean> {
    const next = this.normalize(subscriber, requested);
    if (next.status === subscriber.accessStatus && next.reason === subscriber.accessReason) return false;
    const now = this.runtime.clock.now();
    const previous = { status: subscriber.accessStatus, reason: subscriber.accessReason };
    subscriber.accessStatus = next.status;
    subscriber.accessReason = next.reason;
    subscriber.accessChangedAt = now;
    subscriber.updatedAt = now;
    if (next.status === 'TERMINATED') subscriber.contractEndedAt = now;
    await manager.update(SubscriberEntity, { id: subscriber.id }, {
      accessStatus: subscriber.accessStatus,
      accessReason: subscriber.accessReason,
      accessChangedAt: now,
      updatedAt: now,
      ...(next.status === 'TERMINATED' ? { contractEndedAt: now } : {}),
    });
    await this.runtime.outboxFor(identityEvents).add(manager, 'AccessStatusChanged', {
      subscriberId: subscriber.id,
      status: next.status,
      reason: next.reason,
      previousStatus: previous.status,
      previousReason: previous.reason,
      changedAt: now.toISOString(),
    });
    await this.activity.record(manager, {
      subscriberId: subscriber.id,
      actorId: actor.id,
      actorKind: actor.kind,
      viaManagement: actor.viaManagement,
      channel: actor.channel,
      action: next.status === 'TERMINATED' ? 'CONTRACT_TERMINATED' : 'ACCESS_STATUS_CHANGED',
      detail: detail('ACCESS_CHANGED', { fromStatus: previous.status, fromReason: previous.reason, toStatus: next.status, toReason: next.reason, ...(actor.staff ? { staff: actor.staff } : {}) }),
    });
    const code = accessRefusalCode(next.status);
    if (code) {
      // BLOCKED and TERMINATED end every session; a suspension keeps them, refused until access is restored.
      if (next.status !== 'SUSPENDED') {
        const live = await manager.find(SessionEntity, { where: { subjectId: subscriber.id } });
        await this.sessions.end(manager, live, 'ACCESS_REVOKED');
      }
      await this.sessions.revocations.revokeSubject(manager, subscriber.id, { since: now.getTime(), code });
    }
    return true;
  }

  /** billing's debt events (terms 3.3): access is suspended while a debt is unpaid and restored when it is settled. */
  registerConsumers(): void {
    this.runtime.consume(billingEvents, {
      DebtIncurred: (debt, manager) => this.debtIncurred(manager, debt.subscriberId),
      DebtSettled: (debt, manager) => this.debtSettled(manager, debt.subscriberId),
    });
  }

  /** billing's DebtIncurred (terms 3.3): suspend an active subscriber for debt; remember the debt in any case. */
  async debtIncurred(manager: EntityManager, subscriberId: string): Promise<void> {
    const subscriber = await this.lockSubscriber(manager, subscriberId);
    if (!subscriber) return;
    if (!subscriber.debtOutstanding) {
      subscriber.debtOutstanding = true;
      await manager.update(SubscriberEntity, { id: subscriber.id }, { debtOutstanding: true, updatedAt: this.runtime.clock.now() });
    }
    if (subscriber.accessStatus === 'ACTIVE') await this.change(manager, subscriber, { status: 'SUSPENDED', reason: 'DEBT' }, SYSTEM_ACTOR);
  }

  /** billing's DebtSettled (terms 3.3): the debt suspension is lifted automatically; other suspensions stay. */
  async debtSettled(manager: EntityManager, subscriberId: string): Promise<void> {
    const subscriber = await this.lockSubscriber(manager, subscriberId);
    if (!subscriber) return;
    if (subscriber.debtOutstanding) {
      subscriber.debtOutstanding = false;
      await manager.update(SubscriberEntity, { id: subscriber.id }, { debtOutstanding: false, updatedAt: this.runtime.clock.now() });
    }
    if (subscriber.accessStatus === 'SUSPENDED' && subscriber.accessReason === 'DEBT') {
      await this.change(manager, subscriber, { status: 'ACTIVE' }, SYSTEM_ACTOR);
    }
  }

  private async lockSubscriber(manager: EntityManager, subscriberId: string): Promise<SubscriberEntity | null> {
    const lock = this.runtime.database.lockMode;
    const subscriber = await manager.findOne(SubscriberEntity, { where: { id: subscriberId }, ...(lock ? { lock } : {}) });
    if (!subscriber) this.runtime.logger.warn({ subscriberId }, 'debt event for an unknown subscriber ignored');
    return subscriber;
  }
}
