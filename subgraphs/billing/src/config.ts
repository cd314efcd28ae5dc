import { env, parseEnv } from '@selfcare/shared';
import { paymentsEnvShape } from './payments/config';

/** Billing's own settings (distributed mode); the platform-wide ones are read by the shared process runner. */
export const billingEnvShape = {
  BILLING_PORT: env.port(4003),
  BILLING_DATABASE_URL: env.databaseUrl('sqlite:./data/billing.sqlite'),
  ...paymentsEnvShape,
};

export interface BillingConfig {
  port: number;
  databaseUrl: string;
}

export function loadBillingConfig(source: NodeJS.ProcessEnv = process.env): BillingConfig {
  const parsed = parseEnv(billingEnvShape, source);
  return { port: parsed.BILLING_PORT, databaseUrl: parsed.BILLING_DATABASE_URL };
}
