import type { Express } from 'express';
import { dailyFees, linePlansAt, serveInternal, subscriberPlans } from '@selfcare/shared';
import type { PlanService } from '../plans/plan-service';

/**
 * Internal API for the other services (guarded by the internal token), declared in shared/src/contracts/catalog-api.ts:
 *   POST /internal/subscribers/plans {subscriberIds} → {plans: (LinePlan | null)[]} in the same order (detailing's allowances);
 *   POST /internal/lines/plans-at {items: [{subscriberId, at}]} → the plan in force at each instant (rating);
 *   POST /internal/fees/daily {day, afterSubscriberId, limit} → a page of the day's periodic fees (billing's fee run).
 */
export function catalogInternalRoutes(internalToken: string, plans: PlanService) {
  return (app: Express): void => {
    serveInternal(app, internalToken, subscriberPlans, async ({ subscriberIds }) => ({ plans: await plans.plansOf(subscriberIds) }));
    serveInternal(app, internalToken, linePlansAt, async ({ items }) => ({ plans: await plans.plansAt(items) }));
    serveInternal(app, internalToken, dailyFees, async ({ day, afterSubscriberId, limit }) => plans.dailyFees(day, afterSubscriberId ?? null, limit));
  };
}
