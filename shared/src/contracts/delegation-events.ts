import { z } from 'zod';
import { activityRecorded } from './activity-events';
import { isoDateTime, subscriberId } from './common';
import { subscriberNotificationRequested } from './notification-events';
import { defineEvents } from './event-contract';

/** The life of a request to manage another number (terms 5, 4.4), as the contract's ManagementStatus. */
export const managementStatus = z.enum(['AWAITING_CONFIRMATION', 'CONFIRMED', 'ACTIVE', 'REJECTED', 'EXPIRED', 'VOIDED', 'REVOKED', 'CANCELLED']);

/** delegation's stream ('delegation'): the procedure's changes, actions for the activity record (terms 2.4), notices (terms 2.8, 5.1). */
export const delegationEvents = defineEvents('delegation', {
  ActivityRecorded: activityRecorded,
  SubscriberNotificationRequested: subscriberNotificationRequested,
  /**
   * A request changed status (or came into being: `previousStatus` null). It wakes delegation's own feeds
   * (`managementRequestReceived` / `managementRequestUpdated`), and a change away from ACTIVE is the end of a grant
   * (terms 4.4): every other subgraph ends the live subscriptions that acted on the owner's number through it.
   */
  ManagementRequestChanged: z.object({
    requestId: z.string().uuid(),
    requesterId: subscriberId,
    ownerId: subscriberId.nullable(),
    ownerMsisdn: z.string().max(16),
    status: managementStatus,
    previousStatus: managementStatus.nullable(),
    at: isoDateTime,
  }),
});

export type ManagementRequestChanged = z.output<typeof delegationEvents.events.ManagementRequestChanged>;
