import { z } from 'zod';
import { env, parseAmount, parseEnv } from '@selfcare/shared';
import type { BillingSubgraphOptions } from './index';
import { paymentsEnvShape, paymentsSettingsFrom } from './payments/config';

/** An amount of money ("0", "50000.00") as minor units. */
const amount = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const minor = parseAmount(value);
      if (minor === null || minor < 0) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an amount of 0 or more, e.g. 50000.00' });
        return z.NEVER;
      }
      return minor;
    });

/** Billing's own settings (distributed mode); the platform-wide ones are read by the shared process runner. */
export const billingEnvShape = {
  BILLING_PORT: env.port(4003),
  BILLING_DATABASE_URL: env.databaseUrl('sqlite:./data/billing.sqlite'),
  /** how often the periodic-fee run looks for days that ended; 0: only when asked (POST /internal/fees/run) */
  BILLING_FEE_RUN_INTERVAL_SECONDS: env.int(300, 0),
  /** lines per page (one transaction) of the fee run, at most 500 */
  BILLING_FEE_RUN_PAGE_SIZE: env.int(200, 1),
  /** the credit limit of a new account until staff set its own */
  BILLING_DEFAULT_CREDIT_LIMIT: amount('0'),
  /** charges to one account posted in one transaction at most (1: a transaction per posting) */
  BILLING_POSTING_BATCH: env.int(100, 1),
  ...paymentsEnvShape,
};

export interface BillingConfig {
  port: number;
  databaseUrl: string;
  options: BillingSubgraphOptions;
}

export function loadBillingConfig(source: NodeJS.ProcessEnv = process.env): BillingConfig {
  const parsed = parseEnv(billingEnvShape, source);
  return {
    port: parsed.BILLING_PORT,
    databaseUrl: parsed.BILLING_DATABASE_URL,
    options: {
      feeRunIntervalMs: parsed.BILLING_FEE_RUN_INTERVAL_SECONDS * 1000,
      feeRunPageSize: Math.min(parsed.BILLING_FEE_RUN_PAGE_SIZE, 500),
      defaultCreditLimitMinor: parsed.BILLING_DEFAULT_CREDIT_LIMIT,
      postingBatch: Math.min(parsed.BILLING_POSTING_BATCH, 1000),
      // Distributed mode: the card provider's address and secret are required.
      payments: paymentsSettingsFrom(parsed, { url: () => parsed.PAYMENT_PROVIDER_URL.replace(/\/+$/, ''), secret: parsed.PAYMENT_PROVIDER_SECRET }),
    },
  };
}
