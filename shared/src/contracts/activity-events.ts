import { z } from 'zod';
import { channel } from './common';

/**
 * `ActivityRecorded`: an action on a number another service performed (terms 2.4: every action is on record), which
 * identity stores in the number's activity record. Any of catalog, billing, detailing and delegation may publish
 * it on its own stream; each of their contracts includes it. As lenient as identity's reader was: an unknown
 * actor kind or a non-boolean viaManagement falls back instead of refusing the event.
 */
export const activityRecorded = z.object({
  subscriberId: z.string().uuid(),
  actorId: z.string().uuid().nullable().optional(),
  actorKind: z.enum(['SUBSCRIBER', 'STAFF', 'SYSTEM']).optional().catch(undefined),
  /** terms 4.3: the actor acted on a number whose management was handed over */
  viaManagement: z.boolean().optional().catch(undefined),
  channel: channel.nullable().optional(),
  /** e.g. TARIFF_CHANGED */
  action: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
  /** English text of the details, as recorded (kept for readers of other languages when `detailTexts` is absent) */
  details: z.string().nullable().optional(),
  /** The details in each language; the reader gets theirs (kk / ru / en wherever a person reads). */
  detailTexts: z.object({ KK: z.string().max(2000), RU: z.string().max(2000), EN: z.string().max(2000) }).optional(),
  /** when it happened; the event's time when absent */
  at: z
    .string()
    .refine((value) => !Number.isNaN(new Date(value).getTime()), 'must be a date')
    .optional(),
});

export type ActivityRecorded = z.output<typeof activityRecorded>;
