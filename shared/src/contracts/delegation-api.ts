import { z } from 'zod';
import { subscriberId } from './common';
import { defineInternalRoute } from './internal-api';

/** Most numbers one management check may ask about; callers split larger sets (AccessPolicy does). */
export const MAX_MANAGEMENT_CHECK_IDS = 500;

/**
 * POST /internal/management/check: may this manager manage these numbers now (terms 4.2/4.3, ACTIVE grants
 * only)? `managed[i]` answers `subscriberIds[i]`. Every other service's AccessPolicy asks it.
 */
export const managementCheck = defineInternalRoute({
  service: 'delegation',
  method: 'POST',
  path: '/internal/management/check',
  request: z.object({ managerId: subscriberId, subscriberIds: z.array(subscriberId).max(MAX_MANAGEMENT_CHECK_IDS) }),
  response: z.object({ managed: z.array(z.boolean()) }),
});
