import express, { Express } from 'express';
import { z } from 'zod';
import { requireInternalToken } from '@selfcare/shared';
import type { GrantStore } from './grant-store';

const checkRequest = z.object({
  managerId: z.string().min(1).max(36),
  subscriberIds: z.array(z.string().min(1).max(36)).max(500),
});

/**
 * Internal API (guarded by the internal token) every other subgraph's AccessPolicy calls:
 *   POST /internal/management/check {managerId, subscriberIds} → {managed: boolean[]} (ACTIVE grants only).
 */
export function delegationInternalRoutes(internalToken: string, grants: GrantStore) {
  return (app: Express): void => {
    app.post('/internal/management/check', requireInternalToken(internalToken), express.json({ limit: '100kb' }), async (req, res) => {
      const parsed = checkRequest.safeParse(req.body);
      if (!parsed.success) {
        res.status(400).json({ error: 'body must be {managerId: string, subscriberIds: string[]} (at most 500 ids)' });
        return;
      }
      res.json({ managed: await grants.managedBy(parsed.data.managerId, parsed.data.subscriberIds) });
    });
  };
}
