import type { JsonWebKey } from 'node:crypto';
import type { SigningKey, StaffRole } from '@selfcare/shared';
import { DEFAULT_SCRYPT_PARAMS, ScryptParams } from './auth/kdf';

/** Limits against guessing and SMS flooding (terms 3.1.1); all counted in identity's database. */
export interface RateLimitSettings {
  /** one password SMS per number per this many seconds */
  passwordRequestCooldownSeconds: number;
  passwordRequestsPerNumberPerHour: number;
  passwordRequestsPerAddressPerHour: number;
  /** failed logins of one login within the window that lock it */
  loginMaxFailures: number;
  /** failed logins from one client address within the window that lock the address */
  loginMaxFailuresPerAddress: number;
  loginFailureWindowSeconds: number;
  loginLockoutSeconds: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  passwordRequestCooldownSeconds: 60,
  passwordRequestsPerNumberPerHour: 5,
  passwordRequestsPerAddressPerHour: 30,
  loginMaxFailures: 5,
  loginMaxFailuresPerAddress: 50,
  loginFailureWindowSeconds: 15 * 60,
  loginLockoutSeconds: 15 * 60,
};

/** A staff account from configuration: a scrypt hash (production) or, outside production, a clear password. */
export interface StaffAccountConfig {
  login: string;
  role: StaffRole;
  passwordHash?: string;
  password?: string;
}

export interface IdentityOptions {
  /** Ed25519 key that signs access tokens (IDENTITY_JWT_PRIVATE_KEY; the embedded default keeps one in ./data). */
  signingKey: SigningKey;
  /** Public keys still published after a key rotation, so tokens signed with the previous key stay valid. */
  previousPublicKeys?: JsonWebKey[];
  staffAccounts?: StaffAccountConfig[];
  kdf?: ScryptParams;
  rateLimits?: Partial<RateLimitSettings>;
  /** at most the platform's ACCESS_TOKEN_TTL_SECONDS (revocations are kept that long) */
  accessTokenTtlSeconds?: number;
  /** idle lifetime of a session: each refresh moves it forward */
  refreshTokenTtlSeconds?: number;
  /** how long a password sent by SMS may be used for the first time */
  smsPasswordTtlSeconds?: number;
  emailVerificationTtlSeconds?: number;
  /** key material of e-mail verification links; derived from the signing key when absent */
  linkSecret?: string;
}

export interface IdentitySettings {
  signingKey: SigningKey;
  previousPublicKeys: JsonWebKey[];
  staffAccounts: StaffAccountConfig[];
  kdf: ScryptParams;
  rateLimits: RateLimitSettings;
  accessTokenTtlSeconds: number | null;
  refreshTokenTtlSeconds: number;
  smsPasswordTtlSeconds: number;
  emailVerificationTtlSeconds: number;
  linkSecret: string | null;
}

export function resolveSettings(options: IdentityOptions): IdentitySettings {
  return {
    signingKey: options.signingKey,
    previousPublicKeys: options.previousPublicKeys ?? [],
    staffAccounts: options.staffAccounts ?? [],
    kdf: options.kdf ?? DEFAULT_SCRYPT_PARAMS,
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...(options.rateLimits ?? {}) },
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? null,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 30 * 24 * 3600,
    smsPasswordTtlSeconds: options.smsPasswordTtlSeconds ?? 24 * 3600,
    emailVerificationTtlSeconds: options.emailVerificationTtlSeconds ?? 24 * 3600,
    linkSecret: options.linkSecret ?? null,
  };
}

/** Who did it, for the activity record (terms 2.4, 3.5). */
export interface Actor {
  kind: 'SUBSCRIBER' | 'STAFF' | 'SYSTEM';
  id: string | null;
  viaManagement: boolean;
  channel: 'WEB' | 'MOBILE_APP' | null;
  /** staff login, shown in the entry's details */
  label?: string;
}

export const SYSTEM_ACTOR: Actor = { kind: 'SYSTEM', id: null, viaManagement: false, channel: null };
