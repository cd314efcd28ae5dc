import type { JsonWebKey } from 'node:crypto';
import type { SigningKey, StaffRole } from '@selfcare/shared';
import { DEFAULT_SCRYPT_PARAMS, ScryptParams } from './auth/kdf';
import { BroadcastWorkerOptions, DEFAULT_BROADCAST_OPTIONS } from './notices/broadcast-worker';
import { DEFAULT_RETENTION, RetentionOptions } from './retention/retention.service';

/** Limits against guessing and SMS flooding (terms 3.1.1); all counted in identity's database (see auth/login-throttle.ts). */
export interface RateLimitSettings {
  /** one password SMS per number per this many seconds */
  passwordRequestCooldownSeconds: number;
  passwordRequestsPerNumberPerHour: number;
  passwordRequestsPerAddressPerHour: number;
  /** failed logins of one login from one client address within the window that lock that pair */
  loginMaxFailures: number;
  /** failed logins of one login from all addresses within the ceiling window; then only known addresses may try */
  loginMaxFailuresPerLogin: number;
  /** the ceiling's window, and how long it then keeps unknown addresses out */
  loginCeilingWindowSeconds: number;
  /** failed logins from one client address (any logins) within the window that lock the address */
  loginMaxFailuresPerAddress: number;
  loginFailureWindowSeconds: number;
  loginLockoutSeconds: number;
  /** how long an address a login succeeded from stays known to that login */
  knownAddressDays: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  passwordRequestCooldownSeconds: 60,
  passwordRequestsPerNumberPerHour: 5,
  passwordRequestsPerAddressPerHour: 30,
  loginMaxFailures: 5,
  loginMaxFailuresPerLogin: 100,
  loginCeilingWindowSeconds: 3600,
  loginMaxFailuresPerAddress: 50,
  loginFailureWindowSeconds: 15 * 60,
  loginLockoutSeconds: 15 * 60,
  knownAddressDays: 90,
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
  /** key material of signed links (e-mail verification, unsubscribe); generated once and kept in the database when absent */
  linkSecret?: string;
  broadcast?: Partial<BroadcastWorkerOptions>;
  retention?: Partial<RetentionOptions>;
  /** run the broadcast worker, the retention job and housekeeping once started (default true; tests may drive them) */
  backgroundJobs?: boolean;
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
  broadcast: BroadcastWorkerOptions;
  retention: RetentionOptions;
  backgroundJobs: boolean;
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
    broadcast: { ...DEFAULT_BROADCAST_OPTIONS, ...(options.broadcast ?? {}) },
    retention: { ...DEFAULT_RETENTION, ...(options.retention ?? {}) },
    backgroundJobs: options.backgroundJobs ?? true,
  };
}
