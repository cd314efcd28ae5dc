import { z } from 'zod';
import { isoDateTime, minorUnits, subscriberId } from './common';
import { activityRecorded } from './activity-events';
import { subscriberNotificationRequested } from './notification-events';
import { defineEvents } from './event-contract';

export const ledgerEntryKind = z.enum(['PAYMENT', 'CHARGE', 'REFUND', 'ADJUSTMENT', 'TRANSFER_IN', 'TRANSFER_OUT']);

const debt = z.object({ subscriberId, accountId: z.string().min(1).max(36), balanceMinor: minorUnits, creditLimitMinor: minorUnits });

/** billing's stream ('billing'). */
export const billingEvents = defineEvents('billing', {
  /** Every ledger entry: for the balanceChanged subscription and anyone who follows balances. */
  BalanceChanged: z.object({
    subscriberId,
    accountId: z.string().min(1).max(36),
    entryId: z.string().min(1).max(36),
    seq: z.number().int().positive(),
    kind: ledgerEntryKind,
    amountMinor: minorUnits,
    balanceMinor: minorUnits,
    at: isoDateTime,
  }),
  /** terms 3.3: the balance went below minus the credit limit; identity suspends access for unpaid debt. */
  DebtIncurred: debt,
  /** The balance came back to minus the credit limit or above; identity restores access. */
  DebtSettled: debt,
  ActivityRecorded: activityRecorded,
  SubscriberNotificationRequested: subscriberNotificationRequested,
});
