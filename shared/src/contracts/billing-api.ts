import { z } from 'zod';
import { minorUnits, subscriberId, texts } from './common';
import { defineInternalRoute } from './internal-api';
import { operatorDayName } from './catalog-api';

// ─────────────── orders: charges and refunds, the fee run (catalog orders engineer) ───────────────

/** A ledger entry's business key: what makes a second posting of it a no-op. */
export const postingReference = z.string().regex(/^[\w:.-]{1,100}$/, '1-100 letters, digits, _ : . -');

/**
 * POST /internal/charges: one CHARGE or REFUND to a subscriber's account, idempotent by `reference` — a second
 * request with it gets the first one's answer (the posted entry, or the refusal), whatever the balance is by then.
 * A CHARGE with `requireFunds` is refused (INSUFFICIENT_FUNDS, nothing posted) when balance + credit limit is below
 * the amount. A REFUND names the charge it gives back (`refundOf`) and may not exceed it.
 */
export const postCharge = defineInternalRoute({
  service: 'billing',
  method: 'POST',
  path: '/internal/charges',
  request: z.object({
    subscriberId,
    reference: postingReference,
    kind: z.enum(['CHARGE', 'REFUND']),
    /** positive; the ledger applies the sign of the kind */
    amountMinor: minorUnits.refine((value) => value > 0, 'must be positive'),
    description: texts(200),
    requireFunds: z.boolean().default(true),
    refundOf: postingReference.optional(),
  }),
  response: z.object({
    outcome: z.enum(['POSTED', 'INSUFFICIENT_FUNDS']),
    entryId: z.string().nullable(),
    balanceMinor: minorUnits,
    creditLimitMinor: minorUnits,
  }),
});

/** POST /internal/fees/run {upTo?}: runs the periodic-fee run now for every day due up to `upTo` (default: yesterday). */
export const runFeesNow = defineInternalRoute({
  service: 'billing',
  method: 'POST',
  path: '/internal/fees/run',
  request: z.object({ upTo: operatorDayName.optional() }),
  response: z.object({ days: z.array(z.object({ day: z.string(), lines: z.number().int(), charged: z.number().int() })) }),
});

/**
 * billing's internal HTTP API (other services only, internal token). Routes are added here as they are built;
 * `defineInternalRoute` keeps the caller and billing's handler on the same request and response schemas.
 */
export const billingInternalRoutes = { postCharge, runFeesNow } satisfies Record<string, ReturnType<typeof defineInternalRoute>>;
