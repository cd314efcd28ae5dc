import { join } from 'node:path';
import type { z } from 'zod';
import { env, parseEnv } from '@selfcare/shared';
import { repositoryRoot } from './system';
import { gatewayLimitsEnvShape } from './limits';
import { subscriptionEnvShape } from './subscription-settings';

/** The distributed gateway's settings (`npm run start:gateway`), validated once at start. */
export const gatewayEnvShape = {
  NODE_ENV: env.nodeEnv(),
  GATEWAY_PORT: env.port(4000),
  // The public entry: every interface unless told otherwise (a container, or a host behind a load balancer).
  GATEWAY_HOST: env.host('0.0.0.0'),
  TRUST_PROXY: env.trustProxy(),
  CORS_ORIGINS: env.origins(),
  METRICS_TOKEN: env.optionalSecret(16),
  ...gatewayLimitsEnvShape,
  ...subscriptionEnvShape,
  SUPERGRAPH_PATH: env.string(join(repositoryRoot(), 'schema', 'supergraph.graphql')),
  REDIS_URL: env.matching(/^rediss?:\/\//, 'must be a redis:// URL'),
  REDIS_KEY_PREFIX: env.matching(/^[\w:.-]*$/, 'may hold letters, digits and : . _ - only', ''),
  TOKEN_ISSUER: env.string('selfcare-identity'),
  INTERNAL_API_TOKEN: env.secret(24),
  ACCESS_TOKEN_TTL_SECONDS: env.int(900, 30),
  IDENTITY_URL: env.url('http://127.0.0.1:4001'),
  CATALOG_URL: env.url('http://127.0.0.1:4002'),
  BILLING_URL: env.url('http://127.0.0.1:4003'),
  DETAILING_URL: env.url('http://127.0.0.1:4004'),
  DELEGATION_URL: env.url('http://127.0.0.1:4005'),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayEnvShape>>;

export function loadGatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return parseEnv(gatewayEnvShape, source);
}
