import { z } from 'zod';
import { activityRecorded } from './activity-events';
import { subscriberNotificationRequested } from './notification-events';
import { defineEvents } from './event-contract';
import { isoDateTime, minorUnits, subscriberId, texts } from './common';

/** Most charges one UsageCharged event carries; a larger batch of one line goes as several events. */
export const MAX_USAGE_CHARGES_PER_EVENT = 500;

/**
 * One rated usage record's charge for the ledger: `amountMinor` > 0 takes money, < 0 gives back what a correction
 * took off (terms 2.10: re-rating). `reference` (`usage:<record id>:<revision>`) is what billing posts once.
 */
export const usageCharge = z.object({
  reference: z.string().regex(/^usage:[\w-]{1,36}:\d{1,6}$/),
  recordId: z.string().min(1).max(36),
  amountMinor: minorUnits.refine((v) => v !== 0, 'must not be zero'),
  /** when the usage began: the ledger entry's business time, so a period's usage and its ledger charges match */
  at: isoDateTime,
  description: texts(200),
});
export type UsageCharge = z.output<typeof usageCharge>;

/** detailing's stream ('detailing'): actions for the activity record (terms 2.4), notices (terms 2.8, 5.1), usage charges (terms 2.10). */
export const detailingEvents = defineEvents('detailing', {
  ActivityRecorded: activityRecorded,
  SubscriberNotificationRequested: subscriberNotificationRequested,
  /** Rated usage of one line, one ledger entry per charged record, posted by billing in one transaction per event. */
  UsageCharged: z.object({ subscriberId, charges: z.array(usageCharge).min(1).max(MAX_USAGE_CHARGES_PER_EVENT) }),
});
