import { z } from 'zod';
import { activityRecorded } from './activity-events';
import { subscriberNotificationRequested } from './notification-events';
import { defineEvents } from './event-contract';
import { isoDateTime, minorUnits, subscriberId, texts } from './common';

/** Most charges one UsageCharged event carries; a larger batch of one line goes as several events. */
export const MAX_USAGE_CHARGES_PER_EVENT = 500;

/**
 * The rated usage of one line and Almaty day not yet posted (terms 2.10): `amountMinor` > 0 takes money, < 0 gives back
 * what a correction took off. detailing sums each line-day's charges and hands them over once per charge window, so
 * the ledger gets one entry per line, day and window however many records were rated. `reference`
 * (`usage:<subscriber>:<day>:<n>`, n counting the line-day's postings) is what billing posts once.
 */
export const usageCharge = z.object({
  reference: z.string().regex(/^usage:[\w-]{1,36}:\d{4}-\d\d-\d\d:\d{1,9}$/),
  day: z.string().regex(/^\d{4}-\d\d-\d\d$/),
  amountMinor: minorUnits.refine((v) => v !== 0, 'must not be zero'),
  /** records rated into it */
  records: z.number().int().nonnegative(),
  /** the latest usage start in it: the ledger entry's business time, inside its Almaty day */
  at: isoDateTime,
  description: texts(200),
});
export type UsageCharge = z.output<typeof usageCharge>;

/**
 * detailing's stream ('detailing'): actions for the activity record (terms 2.4), notices (terms 2.8, 5.1), usage
 * charges (terms 2.10), and each status change of an ordered statement (it wakes `statementUpdated` feeds; no other
 * service consumes it).
 */
export const detailingEvents = defineEvents('detailing', {
  ActivityRecorded: activityRecorded,
  SubscriberNotificationRequested: subscriberNotificationRequested,
  /** Rated usage of one line, a ledger entry per Almaty day in it, posted by billing in one transaction per event. */
  UsageCharged: z.object({ subscriberId, charges: z.array(usageCharge).min(1).max(MAX_USAGE_CHARGES_PER_EVENT) }),
  StatementUpdated: z.object({
    statementId: z.string().uuid(),
    subscriberId: z.string().max(36),
    orderedBy: z.string().max(36),
    status: z.enum(['QUEUED', 'RUNNING', 'READY', 'SENT', 'FAILED']),
    version: z.number().int().nonnegative(),
  }),
});
