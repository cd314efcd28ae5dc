import { activityRecorded } from './activity-events';
import { defineEvents } from './event-contract';

/** detailing's stream ('detailing'): only actions for the activity record (2.4) so far. */
export const detailingEvents = defineEvents('detailing', {
  ActivityRecorded: activityRecorded,
});
