import { z } from 'zod';
import { allowanceUnit, isoDateTime, subscriberId, subscriberKind } from './common';
import { defineInternalRoute } from './internal-api';

/** Most lines one plans request may name; callers split larger sets. */
export const MAX_PLAN_IDS = 500;

/** A line's plan as the catalog tells the other services (detailing's allowances). */
export const linePlan = z.object({
  subscriberId,
  kind: subscriberKind,
  tariffCode: z.string(),
  /** since when the line is on this tariff */
  tariffSince: isoDateTime,
  /** what the tariff includes per month */
  allowances: z.array(z.object({ unit: allowanceUnit, amount: z.number().int().nonnegative() })),
});
export type LinePlan = z.output<typeof linePlan>;

/** POST /internal/subscribers/plans: each line's plan, `plans[i]` for `subscriberIds[i]` (null: not known to the catalog). */
export const subscriberPlans = defineInternalRoute({
  service: 'catalog',
  method: 'POST',
  path: '/internal/subscribers/plans',
  request: z.object({ subscriberIds: z.array(subscriberId).max(MAX_PLAN_IDS) }),
  response: z.object({ plans: z.array(linePlan.nullable()) }),
});
