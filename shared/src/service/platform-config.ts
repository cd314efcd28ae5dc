import type { z } from 'zod';
import { env, parseEnv } from '../config/config';
import { DEFAULT_OPERATION_LIMITS, OperationLimitSettings } from '../graphql/operation-limits';

/**
 * Request limits (shared/src/graphql/operation-limits.ts). The gateway applies them to what clients send; every
 * subgraph reads the same variables and applies a looser backstop derived from them (`subgraphBackstop`).
 */
export const operationLimitsEnvShape = {
  GRAPHQL_MAX_TOKENS: env.int(DEFAULT_OPERATION_LIMITS.maxTokens, 100),
  GRAPHQL_MAX_FIELDS: env.int(DEFAULT_OPERATION_LIMITS.maxFields, 10),
  GRAPHQL_MAX_FIELD_REPEATS: env.int(DEFAULT_OPERATION_LIMITS.maxRepeats, 1),
  GRAPHQL_MAX_DEPTH: env.int(DEFAULT_OPERATION_LIMITS.maxDepth, 2),
  GRAPHQL_MAX_ALIASES: env.int(DEFAULT_OPERATION_LIMITS.maxAliases, 0),
  GRAPHQL_MAX_DIRECTIVES: env.int(DEFAULT_OPERATION_LIMITS.maxDirectives, 0),
  GRAPHQL_MAX_COST: env.int(DEFAULT_OPERATION_LIMITS.maxCost, 100),
  GRAPHQL_DEFAULT_LIST_SIZE: env.int(DEFAULT_OPERATION_LIMITS.defaultListSize, 1),
};

export function operationLimitsFrom(values: z.infer<z.ZodObject<typeof operationLimitsEnvShape>>): OperationLimitSettings {
  return {
    maxTokens: values.GRAPHQL_MAX_TOKENS,
    maxFields: values.GRAPHQL_MAX_FIELDS,
    maxRepeats: values.GRAPHQL_MAX_FIELD_REPEATS,
    maxDepth: values.GRAPHQL_MAX_DEPTH,
    maxAliases: values.GRAPHQL_MAX_ALIASES,
    maxDirectives: values.GRAPHQL_MAX_DIRECTIVES,
    maxCost: values.GRAPHQL_MAX_COST,
    defaultListSize: values.GRAPHQL_DEFAULT_LIST_SIZE,
  };
}

/** Prometheus' bearer token for /metrics on every port; without it, the internal API token. */
export const metricsEnvShape = {
  METRICS_TOKEN: env.optionalSecret(16),
};

/**
 * Settings every process of the distributed mode reads (the embedded default fills them itself).
 * Service addresses are the internal base URLs (no /graphql): IDENTITY_URL=http://identity:4001.
 */
export const platformEnvShape = {
  NODE_ENV: env.nodeEnv(),
  REDIS_URL: env.matching(/^rediss?:\/\//, 'must be a redis:// URL'),
  /** Put before every Redis key (event streams, revocations): several platforms can share one Redis. */
  REDIS_KEY_PREFIX: env.matching(/^[\w:.-]*$/, 'may hold letters, digits and : . _ - only', ''),
  SMS_CENTRE_URL: env.url(),
  SMS_CENTRE_SECRET: env.secret(16),
  SMTP_URL: env.matching(/^smtps?:\/\//, 'must be an smtp:// URL'),
  MAIL_FROM: env.string('Beeline <no-reply@beeline.kz>'),
  INTERNAL_API_TOKEN: env.secret(24),
  PUBLIC_URL: env.url('http://127.0.0.1:4000'),
  TOKEN_ISSUER: env.string('selfcare-identity'),
  ACCESS_TOKEN_TTL_SECONDS: env.int(900, 30),
  RELAY_POLL_MS: env.int(500, 10),
  /** The live feeds' shared safety poll per service; writes wake feeds at once (Redis pub/sub between replicas). */
  FEED_SAFETY_POLL_MS: env.int(5000, 100),
  IDENTITY_URL: env.url('http://127.0.0.1:4001'),
  CATALOG_URL: env.url('http://127.0.0.1:4002'),
  BILLING_URL: env.url('http://127.0.0.1:4003'),
  DETAILING_URL: env.url('http://127.0.0.1:4004'),
  DELEGATION_URL: env.url('http://127.0.0.1:4005'),
  ...operationLimitsEnvShape,
  ...metricsEnvShape,
};

export type PlatformEnv = z.infer<z.ZodObject<typeof platformEnvShape>>;

export function readPlatformEnv(source: NodeJS.ProcessEnv = process.env): PlatformEnv {
  return parseEnv(platformEnvShape, source);
}
