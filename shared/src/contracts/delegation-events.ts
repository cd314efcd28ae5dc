import { activityRecorded } from './activity-events';
import { defineEvents } from './event-contract';

/** delegation's stream ('delegation'): only actions for the activity record (2.4) so far. */
export const delegationEvents = defineEvents('delegation', {
  ActivityRecorded: activityRecorded,
});
