import type { EntityManager } from 'typeorm';
import { Channel, Clock, ContractOutbox, Database, dayForPeople, detailingEvents, operatorDay, isUuid } from '@selfcare/shared';
import { StatementEntity, StatementStatus } from './entities';

/** Patch of a status change; `version` and `updatedAt` are set here. */
export type StatementPatch = Partial<Omit<StatementEntity, 'id' | 'version' | 'updatedAt'>>;

/**
 * Every write of a statement's status goes through here: in one transaction the row changes (only if it still has
 * the version the writer read, so two replicas never both win) and a StatementUpdated event wakes its feeds.
 */
export class StatementStore {
  constructor(
    readonly database: Database,
    private readonly outbox: ContractOutbox<typeof detailingEvents>,
    private readonly clock: Clock,
  ) {}

  async announce(manager: EntityManager, row: StatementEntity): Promise<void> {
    await this.outbox.add(manager, 'StatementUpdated', {
      statementId: row.id,
      subscriberId: row.subscriberId,
      orderedBy: row.orderedBy,
      status: row.status,
      version: row.version,
    });
  }

  /**
   * terms 2.4: ordering a statement is an action on the number, on its activity record (who, through management or
   * not, which period and format), written with the order.
   */
  async recordOrder(manager: EntityManager, row: StatementEntity, channel: Channel): Promise<void> {
    // identity's subscribers have UUIDs: any other id is no one it could record (and the contract refuses it).
    if (!isUuid(row.subscriberId) || !isUuid(row.orderedBy)) return;
    const from = dayForPeople(operatorDay(row.periodFrom));
    const to = dayForPeople(operatorDay(new Date(row.periodTo.getTime() - 1)));
    const detailTexts = {
      KK: `Шот үзіндісіне тапсырыс берілді (${row.format}): ${from} – ${to}`,
      RU: `Заказана выписка (${row.format}): ${from} – ${to}`,
      EN: `Statement ordered (${row.format}): ${from} – ${to}`,
    };
    await this.outbox.add(manager, 'ActivityRecorded', {
      subscriberId: row.subscriberId,
      actorId: row.orderedBy,
      actorKind: 'SUBSCRIBER',
      viaManagement: row.viaManagement,
      channel,
      action: 'STATEMENT_ORDERED',
      details: detailTexts.EN,
      detailTexts,
      at: row.createdAt.toISOString(),
    });
  }

  /** Applies `patch` if the row is still at `row.version`; returns the new row, or null when another writer got there first. */
  async change(row: StatementEntity, patch: StatementPatch): Promise<StatementEntity | null> {
    return this.database.transaction(async (manager) => {
      const next = { ...patch, version: row.version + 1, updatedAt: this.clock.now() };
      const result = await manager.update(StatementEntity, { id: row.id, version: row.version }, next);
      if (!result.affected) return null;
      const updated = Object.assign(new StatementEntity(), row, next);
      if (patch.status !== undefined && patch.status !== row.status) await this.announce(manager, updated);
      else if (patch.status === undefined && (patch.failureCode !== undefined || patch.emailPending !== undefined)) await this.announce(manager, updated);
      return updated;
    });
  }
}

export const OPEN_STATUSES = [StatementStatus.QUEUED, StatementStatus.RUNNING];
