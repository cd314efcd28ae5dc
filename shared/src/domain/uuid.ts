const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An id identity (or any service) hands out: a UUID. Events whose contract requires one (ActivityRecorded,
 * SubscriberNotificationRequested…) are written only for such ids, so a test's or a stand-in's other id is no one.
 */
export function isUuid(value: string | null | undefined): boolean {
  return typeof value === 'string' && UUID.test(value);
}
