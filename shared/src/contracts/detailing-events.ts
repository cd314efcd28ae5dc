import { z } from 'zod';
import { activityRecorded } from './activity-events';
import { subscriberNotificationRequested } from './notification-events';
import { defineEvents } from './event-contract';

/**
 * detailing's stream ('detailing'): actions for the activity record (terms 2.4), notices for the subscriber (terms 2.8,
 * 5.1), and each status change of an ordered statement (it wakes `statementUpdated` feeds; no other service consumes it).
 */
export const detailingEvents = defineEvents('detailing', {
  ActivityRecorded: activityRecorded,
  SubscriberNotificationRequested: subscriberNotificationRequested,
  StatementUpdated: z.object({
    statementId: z.string().uuid(),
    subscriberId: z.string().max(36),
    orderedBy: z.string().max(36),
    status: z.enum(['QUEUED', 'RUNNING', 'READY', 'SENT', 'FAILED']),
    version: z.number().int().nonnegative(),
  }),
});
