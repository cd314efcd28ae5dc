import type { z } from 'zod';
import { env, parseEnv } from '@selfcare/shared';

/** How the section 5 procedure is paced; every field has the default the README's configuration table gives. */
export interface DelegationSettings {
  /** Requests one subscriber may send in 24 hours (terms 5.6.2): each one sends the owner an SMS. */
  requestsPerRequesterPerDay: number;
  /** Requests one number may receive in 24 hours, from everybody together. */
  requestsPerOwnerPerDay: number;
  /** Numbers one subscriber may ask about in 24 hours, refused ones included (each answer tells whether it is Beeline's). */
  lookupsPerRequesterPerDay: number;
  /** How long the owner has to confirm (terms 5.6.3-5.6.5) before the request expires. */
  confirmationTtlSeconds: number;
  /** How long the activation code is valid (terms 5.6: 24 hours). */
  activationTtlSeconds: number;
  /** How often the job that expires unconfirmed requests and unused activation codes runs. */
  expiryIntervalMs: number;
}

export const DEFAULT_DELEGATION_SETTINGS: DelegationSettings = {
  requestsPerRequesterPerDay: 5,
  requestsPerOwnerPerDay: 5,
  lookupsPerRequesterPerDay: 20,
  confirmationTtlSeconds: 24 * 3600,
  activationTtlSeconds: 24 * 3600,
  expiryIntervalMs: 60_000,
};

/** Delegation's settings, read in both modes (`npm start` reads them too). */
export const delegationSettingsShape = {
  DELEGATION_REQUESTS_PER_REQUESTER_PER_DAY: env.int(DEFAULT_DELEGATION_SETTINGS.requestsPerRequesterPerDay, 1),
  DELEGATION_REQUESTS_PER_OWNER_PER_DAY: env.int(DEFAULT_DELEGATION_SETTINGS.requestsPerOwnerPerDay, 1),
  DELEGATION_LOOKUPS_PER_REQUESTER_PER_DAY: env.int(DEFAULT_DELEGATION_SETTINGS.lookupsPerRequesterPerDay, 1),
  DELEGATION_CONFIRMATION_TTL_HOURS: env.int(DEFAULT_DELEGATION_SETTINGS.confirmationTtlSeconds / 3600, 1),
  DELEGATION_EXPIRY_INTERVAL_SECONDS: env.int(DEFAULT_DELEGATION_SETTINGS.expiryIntervalMs / 1000, 1),
};

/** Delegation's own settings (distributed mode); the platform-wide ones are read by the shared process runner. */
export const delegationEnvShape = {
  ...delegationSettingsShape,
  DELEGATION_PORT: env.port(4005),
  DELEGATION_DATABASE_URL: env.databaseUrl('sqlite:./data/delegation.sqlite'),
};

export interface DelegationConfig {
  port: number;
  databaseUrl: string;
  settings: DelegationSettings;
}

/** The settings from an already parsed configuration that includes `delegationSettingsShape`. */
export function delegationSettingsFrom(values: z.infer<z.ZodObject<typeof delegationSettingsShape>>): DelegationSettings {
  return {
    requestsPerRequesterPerDay: values.DELEGATION_REQUESTS_PER_REQUESTER_PER_DAY,
    requestsPerOwnerPerDay: values.DELEGATION_REQUESTS_PER_OWNER_PER_DAY,
    lookupsPerRequesterPerDay: values.DELEGATION_LOOKUPS_PER_REQUESTER_PER_DAY,
    confirmationTtlSeconds: values.DELEGATION_CONFIRMATION_TTL_HOURS * 3600,
    // terms 5.6: fixed by the terms, not a setting.
    activationTtlSeconds: DEFAULT_DELEGATION_SETTINGS.activationTtlSeconds,
    expiryIntervalMs: values.DELEGATION_EXPIRY_INTERVAL_SECONDS * 1000,
  };
}

export function loadDelegationConfig(source: NodeJS.ProcessEnv = process.env): DelegationConfig {
  const parsed = parseEnv(delegationEnvShape, source);
  return { port: parsed.DELEGATION_PORT, databaseUrl: parsed.DELEGATION_DATABASE_URL, settings: delegationSettingsFrom(parsed) };
}
