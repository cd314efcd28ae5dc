import type { z } from 'zod';
import { env, parseEnv } from '../config/config';

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
};

export type PlatformEnv = z.infer<z.ZodObject<typeof platformEnvShape>>;

export function readPlatformEnv(source: NodeJS.ProcessEnv = process.env): PlatformEnv {
  return parseEnv(platformEnvShape, source);
}
