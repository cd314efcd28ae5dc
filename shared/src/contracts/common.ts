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
/** An instant as JSON carries it. */
export const isoDateTime = z.string().datetime({ offset: true });
/** Money in minor units (tiyn): an exact integer. */
export const minorUnits = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer');

export type SubscriberKindValue = z.infer<typeof subscriberKind>;
export type PartyTypeValue = z.infer<typeof partyType>;
export type AllowanceUnitValue = z.infer<typeof allowanceUnit>;

/** A text in each language of the cabinet (kk, ru, en): the reader gets theirs. */
export const texts = (max: number) => z.object({ KK: z.string().min(1).max(max), RU: z.string().min(1).max(max), EN: z.string().min(1).max(max) });
