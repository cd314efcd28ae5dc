import { z } from 'zod';

/**
 * Values several contracts share. Ids are those identity hands out (UUIDs); the schemas stay as lenient as the
 * consumers were before the contracts existed (any id of up to 36 characters), so no event in flight is refused.
 */
export const subscriberId = z.string().min(1).max(36);
export const subscriberKind = z.enum(['MOBILE', 'HOME_INTERNET']);
export const partyType = z.enum(['INDIVIDUAL', 'LEGAL_ENTITY']);
export const language = z.enum(['KK', 'RU', 'EN']);
export const channel = z.enum(['WEB', 'MOBILE_APP']);
export const allowanceUnit = z.enum(['MINUTES', 'SMS', 'MEGABYTES']);
/**
 * An instant as JSON carries it: zod's `datetime({ offset: true })` pattern (leap days checked, any fraction, Z or
 * ±hh:mm), compiled once — zod 3 compiles it again on every value, which showed in the ingest profile (thousands of
 * instants a request).
 */
const ISO_DATE = '((\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-((0[13578]|1[02])-(0[1-9]|[12]\\d|3[01])|(0[469]|11)-(0[1-9]|[12]\\d|30)|(02)-(0[1-9]|1\\d|2[0-8])))';
const ISO_DATE_TIME = new RegExp(`^${ISO_DATE}T([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d+)?)?(Z|([+-]\\d{2}:?\\d{2}))$`);
export const isoDateTime = z.string().regex(ISO_DATE_TIME, 'Invalid datetime');
/** Money in minor units (tiyn): an exact integer. */
export const minorUnits = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer');

export type SubscriberKindValue = z.infer<typeof subscriberKind>;
export type PartyTypeValue = z.infer<typeof partyType>;
export type AllowanceUnitValue = z.infer<typeof allowanceUnit>;

/** A text in each language of the cabinet (kk, ru, en): the reader gets theirs. */
export const texts = (max: number) => z.object({ KK: z.string().min(1).max(max), RU: z.string().min(1).max(max), EN: z.string().min(1).max(max) });
