import { activityRecorded } from './activity-events';
import { subscriberNotificationRequested } from './notification-events';
import { defineEvents } from './event-contract';

/** detailing's stream ('detailing'): actions for the activity record (terms 2.4) and notices for the subscriber (terms 2.8, 5.1) so far. */
export const detailingEvents = defineEvents('detailing', {
  ActivityRecorded: activityRecorded,
  SubscriberNotificationRequested: subscriberNotificationRequested,
});
