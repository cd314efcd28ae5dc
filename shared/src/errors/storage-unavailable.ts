/**
 * Error codes of a database or Redis that is not there right now (restarting, failed over, out of connections):
 * the request may succeed when retried, so callers get SERVICE_UNAVAILABLE, not INTERNAL.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_SHUTDOWN_COMPLETE',
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

/** Messages of drivers that carry no code for it (mysql2's closed connection, ioredis out of retries or offline). */
const UNAVAILABLE_MESSAGES = /Can't add new command when connection is in closed state|Connection lost|Pool is closed|max retries per request|Connection is closed|Stream isn't writeable|connect ECONNREFUSED/i;

export function isStorageUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
    // AggregateError of a connection attempt to several addresses (node's net with autoSelectFamily)
    if (Array.isArray(e.errors) && e.errors.some((inner) => isStorageUnavailable(inner))) return true;
    current = e.driverError ?? e.cause ?? e.originalError;
  }
  return false;
}
