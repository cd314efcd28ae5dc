import type { Express } from 'express';
import { serveInternal, subscriberPlans } from '@selfcare/shared';
import type { InventoryService } from './inventory-service';

/**
 * Internal API for the other services (guarded by the internal token), declared in shared/src/contracts/catalog-api.ts:
 *   POST /internal/subscribers/plans {subscriberIds} → {plans: (LinePlan | null)[]} in the same order.
 * detailing reads the tariff's allowances from it.
 */
export function catalogInternalRoutes(internalToken: string, inventory: InventoryService) {
  return (app: Express): void => {
    serveInternal(app, internalToken, subscriberPlans, async ({ subscriberIds }) => ({ plans: await inventory.plansOf(subscriberIds) }));
  };
}
