import { In } from 'typeorm';
import type { Database, ManagementGrantSource } from '@selfcare/shared';
import { ManagementRequestEntity, ManagementStatus } from './entities';

/**
 * The answer every subgraph needs (terms 4.2/4.3): may this manager manage these numbers now?
 * Only ACTIVE grants count. Answered here from delegation's own tables — for its own AccessPolicy directly,
 * for the other services through POST /internal/management/check.
 */
export class GrantStore implements ManagementGrantSource {
  constructor(private readonly database: Database) {}

  async managedBy(managerId: string, subscriberIds: readonly string[]): Promise<boolean[]> {
    if (subscriberIds.length === 0) return [];
    const rows = await this.database.manager.find(ManagementRequestEntity, {
      select: { ownerId: true },
      where: { requesterId: managerId, status: ManagementStatus.ACTIVE, ownerId: In([...new Set(subscriberIds)]) },
    });
    const managed = new Set(rows.map((row) => row.ownerId));
    return subscriberIds.map((id) => managed.has(id));
  }
}
