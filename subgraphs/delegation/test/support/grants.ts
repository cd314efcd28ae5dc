import { randomUUID } from 'node:crypto';
import type { RunningSubgraph } from '@selfcare/shared';
import { ManagementRequestEntity, ManagementStatus, openKey } from '../../src/management/entities';

/**
 * Puts an ACTIVE grant in delegation's database: the state the section 5 procedure ends in (terms 5.6.7), for tests of
 * the services that ask delegation "may this caller manage that number?" (terms 4.3).
 */
export async function grantManagement(
  delegation: RunningSubgraph,
  requesterId: string,
  ownerId: string,
  ownerMsisdn = '+77000000000',
  requesterMsisdn: string | null = null,
): Promise<ManagementRequestEntity> {
  const now = delegation.runtime.clock.now();
  const row = delegation.runtime.database.manager.create(ManagementRequestEntity, {
    id: randomUUID(),
    status: ManagementStatus.ACTIVE,
    requesterId,
    requesterMsisdn,
    ownerMsisdn,
    ownerId,
    channel: 'WEB',
    openKey: openKey(requesterId, ownerMsisdn),
    confirmationCodeHash: null,
    confirmationExpiresAt: null,
    confirmationFailures: 0,
    confirmedAt: now,
    confirmedVia: 'CABINET',
    activationCodeHash: null,
    activationExpiresAt: null,
    activationAttemptsLeft: null,
    activatedAt: now,
    endedAt: null,
    endedBy: null,
    createdAt: now,
    updatedAt: now,
  });
  await delegation.runtime.database.manager.insert(ManagementRequestEntity, row);
  return row;
}
