import type { Express } from 'express';
import { postCharge, runFeesNow, serveInternal } from '@selfcare/shared';
import type { ChargeService } from './charge-service';
import type { FeeRun } from '../fees/fee-run';

/**
 * billing's internal API for orders and fees (internal token), declared in shared/src/contracts/billing-api.ts:
 *   POST /internal/charges — a charge or refund, idempotent by reference (catalog's orders);
 *   POST /internal/fees/run — the periodic-fee run now, for the days due (operations, tests).
 */
export function chargeRoutes(internalToken: string, charges: ChargeService, fees: FeeRun) {
  return (app: Express): void => {
    serveInternal(app, internalToken, postCharge, (request) => charges.charge(request));
    serveInternal(app, internalToken, runFeesNow, async ({ upTo }) => ({ days: await fees.runDue(upTo) }));
  };
}
