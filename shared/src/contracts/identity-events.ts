import { z } from 'zod';
import { isoDateTime, language, partyType, subscriberId, subscriberKind } from './common';
import { defineEvents } from './event-contract';

export const accessStatus = z.enum(['ACTIVE', 'SUSPENDED', 'BLOCKED', 'TERMINATED']);
export const accessReason = z.enum(['DEBT', 'BREACH', 'UNLAWFUL_USE', 'THIRD_PARTY_DATA', 'PERSONAL_DATA_WITHDRAWN', 'CONTRACT_ENDED']);
export const consentPurpose = z.enum(['PERSONAL_DATA', 'PARTNER_SHARING', 'MARKETING_EMAIL', 'MARKETING_SMS', 'ASHYQ']);
export const consentSource = z.enum(['REGISTRATION', 'LOGIN', 'CABINET', 'UNSUBSCRIBE_LINK', 'PERSONAL_DATA_WITHDRAWN', 'ASHYQ_LINK']);

/** identity's stream ('identity'). */
export const identityEvents = defineEvents('identity', {
  /**
   * A line (mobile number or home-internet contract) came into being: catalog gives it its tariff, billing its
   * account, delegation links requests that named the number before it existed (terms 5.1).
   */
  SubscriberProvisioned: z.object({
    subscriberId,
    kind: subscriberKind,
    partyType,
    /** E.164; null for home internet. Consumers normalize it (delegation) rather than trusting its form. */
    msisdn: z.string().max(32).nullable().optional(),
    login: z.string().max(64).optional(),
    language: language.optional(),
    /** The tariff the operator named; the catalog falls back to the first one on sale when it is unknown. */
    tariffCode: z.string().max(40).nullable().optional(),
  }),
  /** terms 3.1.1: the first login is the registration. */
  SubscriberRegistered: z.object({ subscriberId, registeredAt: isoDateTime }),
  /** Other services send SMS in the subscriber's language. */
  SubscriberLanguageChanged: z.object({ subscriberId, language }),
  /** terms 3.3, 2.8, 2.12: access suspended, blocked, restored or the contract ended. */
  AccessStatusChanged: z.object({
    subscriberId,
    status: accessStatus,
    reason: accessReason.nullable(),
    previousStatus: accessStatus,
    previousReason: accessReason.nullable(),
    changedAt: isoDateTime,
  }),
  /** terms 2.11: personal data erased after the retention period of an ended contract. */
  SubscriberDataErased: z.object({ subscriberId, contractEndedAt: isoDateTime, erasedAt: isoDateTime }),
  /** terms 2.11-2.14, 6.4: a consent given or withdrawn. */
  ConsentChanged: z.object({
    subscriberId,
    purpose: consentPurpose,
    granted: z.boolean(),
    source: consentSource,
    termsVersion: z.string().max(40).nullable(),
    at: isoDateTime,
  }),
  /** terms 6.6: a new version of the terms of use is in force. */
  TermsPublished: z.object({ version: z.string().min(1).max(40), url: z.string().url(), publishedAt: isoDateTime, publishedBy: z.string().min(1).max(36) }),
});

export type SubscriberProvisioned = z.output<typeof identityEvents.events.SubscriberProvisioned>;
