import type { Express } from 'express';
import { managementCheck, serveInternal } from '@selfcare/shared';
import type { GrantStore } from './grant-store';

/**
 * Internal API (guarded by the internal token) every other subgraph's AccessPolicy calls, declared in
 * shared/src/contracts/delegation-api.ts:
 *   POST /internal/management/check {managerId, subscriberIds} → {managed: boolean[]} (ACTIVE grants only).
 */
export function delegationInternalRoutes(internalToken: string, grants: GrantStore) {
  return (app: Express): void => {
    serveInternal(app, internalToken, managementCheck, async ({ managerId, subscriberIds }) => ({ managed: await grants.managedBy(managerId, subscriberIds) }));
  };
}
