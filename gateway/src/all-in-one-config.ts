import { z } from 'zod';
import { env } from '@selfcare/shared';
import { gatewayLimitsEnvShape } from './limits';
import { subscriptionEnvShape } from './subscription-settings';
import { delegationSettingsShape } from '@selfcare/delegation';
import { paymentsAllInOneShape } from '@selfcare/billing';

/**
 * The embedded default is the development system (Apollo Sandbox, introspection, /dev/sms where anyone reads any
 * number's password, demo staff accounts): it refuses to pass for production rather than run one silently.
 */
const nodeEnv = z
  .string()
  .default('development')
  .refine((value) => value !== 'production', {
    message:
      'production is not served by the all-in-one launcher (npm start is the development system: Sandbox, /dev/sms, demo staff accounts); run the distributed mode (npm run start:gateway and one process per subgraph, see README, Modes)',
  })
  .pipe(z.enum(['development', 'test'], { message: 'must be development or test for the all-in-one launcher' }));

/** `npm start`'s settings (the all-in-one launcher); identity's IDENTITY_* and STAFF_ACCOUNTS are read by identity. */
export const allInOneEnvShape = {
  ...delegationSettingsShape,
  ...paymentsAllInOneShape,
  NODE_ENV: nodeEnv,
  GATEWAY_PORT: env.port(4000),
  IDENTITY_PORT: env.port(4001),
  CATALOG_PORT: env.port(4002),
  BILLING_PORT: env.port(4003),
  DETAILING_PORT: env.port(4004),
  DELEGATION_PORT: env.port(4005),
  GATEWAY_HOST: env.host('127.0.0.1'),
  IDENTITY_HOST: env.host('127.0.0.1'),
  CATALOG_HOST: env.host('127.0.0.1'),
  BILLING_HOST: env.host('127.0.0.1'),
  DETAILING_HOST: env.host('127.0.0.1'),
  DELEGATION_HOST: env.host('127.0.0.1'),
  DATA_DIR: env.string('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  TRUST_PROXY: env.trustProxy(),
  CORS_ORIGINS: env.origins(),
  METRICS_TOKEN: env.optionalSecret(16),
  FEED_SAFETY_POLL_MS: env.int(5000, 100),
  ...gatewayLimitsEnvShape,
  ...subscriptionEnvShape,
};
