import type { Express } from 'express';
import { IsNull, Not } from 'typeorm';
import { mobileLineByMsisdn, serveInternal } from '@selfcare/shared';
import type { IdentityServices } from '../composition';
import { SubscriberEntity } from '../subscribers/subscriber.entity';

/**
 * POST /internal/lines/by-msisdn (shared/src/contracts/identity-api.ts), for delegation: whose mobile number a
 * management request names (terms 5.6.2). A number whose contract ended or whose data was erased is nobody's.
 */
export function mountLineLookupRoute(app: Express, services: IdentityServices): void {
  const { runtime } = services;
  serveInternal(app, runtime.platform.internalToken, mobileLineByMsisdn, async ({ msisdn }) => {
    const line = await runtime.database.manager.findOne(SubscriberEntity, {
      select: { id: true, registered: true },
      where: { msisdn, kind: 'MOBILE', accessStatus: Not('TERMINATED'), erasedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
    return { line: line ? { subscriberId: line.id, registered: line.registered } : null };
  });
}
