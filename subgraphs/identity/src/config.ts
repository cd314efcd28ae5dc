import type { JsonWebKey } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, env, parseEnv, signingKeyFromPem, SigningKey } from '@selfcare/shared';
import { DEFAULT_BROADCAST_OPTIONS } from './notices/broadcast-worker';
import { DEFAULT_RETENTION } from './retention/retention.service';
import { parseStaffAccounts } from './staff/staff-config';
import type { IdentityOptions } from './settings';

/**
 * identity's settings from the environment, checked once at start; a bad value stops the process with one line naming
 * it. These apply in both modes (the all-in-one launcher passes them too); the README's configuration table lists
 * each with its default. The platform's own variables (Redis, SMS centre, SMTP, service URLs) are read by the kit.
 */
export const identitySettingsShape = {
  NODE_ENV: env.nodeEnv(),
  /** JSON array of public JWKs still accepted after a key rotation */
  IDENTITY_JWT_PREVIOUS_PUBLIC_KEYS: z
    .string()
    .optional()
    .transform((value, ctx): JsonWebKey[] => {
      if (!value) return [];
      try {
        const keys = JSON.parse(value) as unknown;
        if (Array.isArray(keys) && keys.every((k) => typeof k === 'object' && k && typeof (k as { kid?: unknown }).kid === 'string')) return keys as JsonWebKey[];
      } catch {
        // reported below
      }
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a JSON array of public JWKs with a kid' });
      return z.NEVER;
    }),
  /** key material of signed links (e-mail verification, unsubscribe); generated once and kept in the database when unset */
  IDENTITY_LINK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  STAFF_ACCOUNTS: env.optionalString(),
  IDENTITY_KDF_LOG2_N: env.int(15, 10).pipe(z.number().max(20, 'must be at most 20')),
  IDENTITY_KDF_R: env.int(8, 1).pipe(z.number().max(32, 'must be at most 32')),
  IDENTITY_KDF_P: env.int(1, 1).pipe(z.number().max(16, 'must be at most 16')),
  IDENTITY_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30, 'must be at least 30').optional(),
  IDENTITY_REFRESH_TOKEN_TTL_DAYS: env.int(30, 1),
  IDENTITY_SMS_PASSWORD_TTL_HOURS: env.int(24, 1),
  IDENTITY_PASSWORD_REQUEST_COOLDOWN_SECONDS: env.int(60, 0),
  IDENTITY_PASSWORD_REQUESTS_PER_NUMBER_PER_HOUR: env.int(5, 1),
  IDENTITY_PASSWORD_REQUESTS_PER_ADDRESS_PER_HOUR: env.int(30, 1),
  IDENTITY_LOGIN_MAX_FAILURES: env.int(5, 1),
  IDENTITY_LOGIN_MAX_FAILURES_PER_LOGIN: env.int(100, 1),
  IDENTITY_LOGIN_CEILING_MINUTES: env.int(60, 1),
  IDENTITY_LOGIN_MAX_FAILURES_PER_ADDRESS: env.int(50, 1),
  IDENTITY_LOCKOUT_MINUTES: env.int(15, 1),
  IDENTITY_KNOWN_ADDRESS_DAYS: env.int(90, 1),
  IDENTITY_BROADCAST_BATCH_SIZE: env.int(DEFAULT_BROADCAST_OPTIONS.batchSize, 1).pipe(z.number().max(5000, 'must be at most 5000')),
  IDENTITY_RETENTION_INTERVAL_SECONDS: env.int(DEFAULT_RETENTION.intervalMs / 1000, 1),
};

/** identity's own part of the distributed mode: where it listens, its database and its signing key. */
export const identityEnvShape = {
  ...identitySettingsShape,
  IDENTITY_PORT: env.port(4001),
  IDENTITY_DATABASE_URL: env.databaseUrl(),
  /** Ed25519 private key, PKCS#8 PEM (`\n` may be written as the two characters backslash-n). */
  IDENTITY_JWT_PRIVATE_KEY: z
    .string({ required_error: 'is required (an Ed25519 private key in PEM)' })
    .min(1, 'is required (an Ed25519 private key in PEM)')
    .transform((value, ctx): SigningKey => {
      try {
        return signingKeyFromPem(value.includes('\\n') ? value.replace(/\\n/g, '\n') : value);
      } catch {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519)' });
        return z.NEVER;
      }
    }),
};

type SettingsValues = z.infer<z.ZodObject<typeof identitySettingsShape>>;

function optionsOf(values: SettingsValues): Omit<IdentityOptions, 'signingKey'> {
  let staffAccounts;
  try {
    staffAccounts = parseStaffAccounts(values.STAFF_ACCOUNTS, values.NODE_ENV === 'production');
  } catch (error) {
    throw new ConfigError('STAFF_ACCOUNTS', error instanceof Error ? error.message : 'is invalid');
  }
  return {
    previousPublicKeys: values.IDENTITY_JWT_PREVIOUS_PUBLIC_KEYS,
    staffAccounts,
    kdf: { log2N: values.IDENTITY_KDF_LOG2_N, r: values.IDENTITY_KDF_R, p: values.IDENTITY_KDF_P },
    ...(values.IDENTITY_ACCESS_TOKEN_TTL_SECONDS ? { accessTokenTtlSeconds: values.IDENTITY_ACCESS_TOKEN_TTL_SECONDS } : {}),
    refreshTokenTtlSeconds: values.IDENTITY_REFRESH_TOKEN_TTL_DAYS * 24 * 3600,
    smsPasswordTtlSeconds: values.IDENTITY_SMS_PASSWORD_TTL_HOURS * 3600,
    ...(values.IDENTITY_LINK_SECRET ? { linkSecret: values.IDENTITY_LINK_SECRET } : {}),
    rateLimits: {
      passwordRequestCooldownSeconds: values.IDENTITY_PASSWORD_REQUEST_COOLDOWN_SECONDS,
      passwordRequestsPerNumberPerHour: values.IDENTITY_PASSWORD_REQUESTS_PER_NUMBER_PER_HOUR,
      passwordRequestsPerAddressPerHour: values.IDENTITY_PASSWORD_REQUESTS_PER_ADDRESS_PER_HOUR,
      loginMaxFailures: values.IDENTITY_LOGIN_MAX_FAILURES,
      loginMaxFailuresPerLogin: values.IDENTITY_LOGIN_MAX_FAILURES_PER_LOGIN,
      loginCeilingWindowSeconds: values.IDENTITY_LOGIN_CEILING_MINUTES * 60,
      loginMaxFailuresPerAddress: values.IDENTITY_LOGIN_MAX_FAILURES_PER_ADDRESS,
      loginFailureWindowSeconds: values.IDENTITY_LOCKOUT_MINUTES * 60,
      loginLockoutSeconds: values.IDENTITY_LOCKOUT_MINUTES * 60,
      knownAddressDays: values.IDENTITY_KNOWN_ADDRESS_DAYS,
    },
    broadcast: { batchSize: values.IDENTITY_BROADCAST_BATCH_SIZE },
    retention: { intervalMs: values.IDENTITY_RETENTION_INTERVAL_SECONDS * 1000 },
  };
}

/** identity's settings for the all-in-one launcher (which keeps the signing key in its data directory). */
export function identityOptionsFromEnv(source: NodeJS.ProcessEnv = process.env): Omit<IdentityOptions, 'signingKey'> {
  return optionsOf(parseEnv(identitySettingsShape, source));
}

export interface IdentityConfig {
  port: number;
  databaseUrl: string;
  options: IdentityOptions;
}

/** Distributed mode (`npm run start:identity`): every identity variable, the signing key required. */
export function loadIdentityConfig(source: NodeJS.ProcessEnv = process.env): IdentityConfig {
  const values = parseEnv(identityEnvShape, source);
  return {
    port: values.IDENTITY_PORT,
    databaseUrl: values.IDENTITY_DATABASE_URL,
    options: { signingKey: values.IDENTITY_JWT_PRIVATE_KEY, ...optionsOf(values) },
  };
}
