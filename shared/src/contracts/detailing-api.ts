import { z } from 'zod';
import { defineInternalRoute } from './internal-api';

/** Most usage records one ingest request may carry (the CSV import sends chunks of this size at most). */
export const MAX_INGEST_RECORDS = 5000;

/** Why a usage record was not taken: one reason per record, the first found. */
export const usageRejectionReason = z.enum([
  /** a field is missing, malformed or out of range (`field` names it) */
  'INVALID',
  /** no Beeline line holds the number (or the contract ended) */
  'UNKNOWN_NUMBER',
  /** the record began after the moment it arrived */
  'IN_FUTURE',
  /** the line had no tariff at that moment, or its tariff publishes no rate for it (a roaming zone it has none for) */
  'NO_RATE',
  /** the same network id came again with other content and no higher revision */
  'CONFLICT',
]);
export type UsageRejectionReason = z.output<typeof usageRejectionReason>;

/**
 * One usage record as the network side sends it. Lenient on purpose: each record is judged on its own, so a bad
 * one is reported with its index and reason and the good ones in the same request are kept; only the request's
 * size and shape (an array of objects) are refused as a whole.
 */
export const usageRecordWire = z.record(z.string().max(40), z.unknown());

/**
 * POST /internal/usage/ingest {records} → what was stored: records are rated against the line's tariff at the time of
 * use (terms 2.10) and their charges go to billing (UsageCharged). A record's `sourceRef` (the network's id) is
 * stored once: the same record again is a duplicate; a higher `revision` is a correction, re-rated.
 */
export const ingestUsage = defineInternalRoute({
  service: 'detailing',
  method: 'POST',
  path: '/internal/usage/ingest',
  bodyLimit: '4mb',
  request: z.object({ records: z.array(usageRecordWire).max(MAX_INGEST_RECORDS) }),
  response: z.object({
    accepted: z.number().int(),
    corrected: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.array(z.object({ index: z.number().int(), sourceRef: z.string().nullable(), reason: usageRejectionReason, field: z.string().nullable() })),
  }),
});

/**
 * POST /internal/usage/charges/flush {} → what was handed to billing now: the line-days with rated usage not yet
 * posted (the charge window's job, run at once — operators and tests).
 */
export const flushUsageCharges = defineInternalRoute({
  service: 'detailing',
  method: 'POST',
  path: '/internal/usage/charges/flush',
  request: z.object({}).strict(),
  response: z.object({ lines: z.number().int(), charges: z.number().int() }),
});
