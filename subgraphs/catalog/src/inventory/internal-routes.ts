import express, { Express } from 'express';
import { z } from 'zod';
import { requireInternalToken } from '@selfcare/shared';
import type { InventoryService } from './inventory-service';

const plansRequest = z.object({ subscriberIds: z.array(z.string().min(1).max(36)).max(500) });

/**
 * Internal API for the other services (guarded by the internal token):
 *   POST /internal/subscribers/plans {subscriberIds} → {plans: (LinePlan | null)[]} in the same order.
 * detailing reads the tariff's allowances from it.
 */
export function catalogInternalRoutes(internalToken: string, inventory: InventoryService) {
  return (app: Express): void => {
    app.post('/internal/subscribers/plans', requireInternalToken(internalToken), express.json({ limit: '100kb' }), async (req, res) => {
      const parsed = plansRequest.safeParse(req.body);
      if (!parsed.success) {
        res.status(400).json({ error: 'body must be {subscriberIds: string[]} (at most 500)' });
        return;
      }
      res.json({ plans: await inventory.plansOf(parsed.data.subscriberIds) });
    });
  };
}
