import { activityRecorded } from './activity-events';
import { defineEvents } from './event-contract';

/** catalog's stream ('catalog'): only actions for the activity record (2.4) so far. */
export const catalogEvents = defineEvents('catalog', {
  ActivityRecorded: activityRecorded,
});
