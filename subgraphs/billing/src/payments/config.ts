import { z } from 'zod';
import { ConfigError, env, parseEnv } from '@selfcare/shared';
import { amountToMinor } from './amount';

/** An amount of KZT as the environment gives it ("100.00"), kept in minor units. */
const amount = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const minor = amountToMinor(value.trim());
      if (minor === null || minor <= 0) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an amount of KZT such as 100.00' });
        return z.NEVER;
      }
      return minor;
    });

/**
 * Payments, saved cards, autopay, trust payment and transfers: settings read once at start, in both modes (the
 * all-in-one launcher reads them too). The provider's address and secret are required in distributed mode; the
 * embedded default serves its own sandbox provider unless PAYMENT_PROVIDER_URL names another.
 */
export const paymentsSettingsShape = {
  PAYMENT_PROVIDER_TIMEOUT_MS: env.int(3000, 100),
  PAYMENT_PROVIDER_RETRIES: env.int(2, 0).pipe(z.number().max(5, 'must be at most 5')),
  PAYMENT_MIN_AMOUNT: amount('100.00'),
  PAYMENT_MAX_AMOUNT: amount('200000.00'),
  PAYMENT_RECONCILE_INTERVAL_MS: env.int(5000, 50),
  PAYMENT_WEBHOOK_TOLERANCE_SECONDS: env.int(300, 10),
  TRUST_PAYMENT_AMOUNT: amount('500.00'),
  TRUST_PAYMENT_DAYS: env.int(3, 1),
  TRUST_PAYMENT_MIN_TENURE_DAYS: env.int(90, 0),
  TRUST_PAYMENT_MIN_PAID: amount('1000.00'),
  TRANSFER_MIN_AMOUNT: amount('50.00'),
  TRANSFER_MAX_AMOUNT: amount('20000.00'),
  TRANSFER_DAILY_MAX: amount('50000.00'),
  TRANSFER_CODE_TTL_SECONDS: env.int(300, 30),
  TRANSFER_REQUESTS_PER_HOUR: env.int(10, 1),
};

export const paymentsEnvShape = {
  ...paymentsSettingsShape,
  PAYMENT_PROVIDER_URL: env.url(),
  PAYMENT_PROVIDER_SECRET: env.secret(16),
};

export interface PaymentProviderSettings {
  /** Base URL of the card provider's API (looked up per call: the embedded default knows it only once the gateway listens). */
  url: () => string;
  /** API key; it also signs the provider's webhooks. */
  secret: string;
  timeoutMs: number;
  retries: number;
}

export interface PaymentsSettings {
  provider: PaymentProviderSettings;
  minAmountMinor: number;
  maxAmountMinor: number;
  /** The reconciliation job's tick; also the first wait before it asks about a payment nobody answered. */
  reconcileIntervalMs: number;
  /** Longest wait between two questions about one payment. */
  reconcileMaxBackoffMs: number;
  webhookToleranceSeconds: number;
  savedCardsPerAccount: number;
  trust: { amountMinor: number; days: number; minTenureDays: number; minPaidMinor: number; historyDays: number };
  transfers: { minMinor: number; maxMinor: number; dailyMaxMinor: number; codeTtlSeconds: number; requestsPerHour: number };
}

type SettingsValues = z.infer<z.ZodObject<typeof paymentsSettingsShape>>;

export function paymentsSettingsFrom(values: SettingsValues, provider: { url: () => string; secret: string }): PaymentsSettings {
  if (values.PAYMENT_MIN_AMOUNT > values.PAYMENT_MAX_AMOUNT) throw new ConfigError('PAYMENT_MIN_AMOUNT', 'must not exceed PAYMENT_MAX_AMOUNT');
  if (values.TRANSFER_MIN_AMOUNT > values.TRANSFER_MAX_AMOUNT) throw new ConfigError('TRANSFER_MIN_AMOUNT', 'must not exceed TRANSFER_MAX_AMOUNT');
  if (values.TRANSFER_MAX_AMOUNT > values.TRANSFER_DAILY_MAX) throw new ConfigError('TRANSFER_MAX_AMOUNT', 'must not exceed TRANSFER_DAILY_MAX');
  return {
    provider: { ...provider, timeoutMs: values.PAYMENT_PROVIDER_TIMEOUT_MS, retries: values.PAYMENT_PROVIDER_RETRIES },
    minAmountMinor: values.PAYMENT_MIN_AMOUNT,
    maxAmountMinor: values.PAYMENT_MAX_AMOUNT,
    reconcileIntervalMs: values.PAYMENT_RECONCILE_INTERVAL_MS,
    reconcileMaxBackoffMs: Math.max(values.PAYMENT_RECONCILE_INTERVAL_MS, 10 * 60_000),
    webhookToleranceSeconds: values.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
    savedCardsPerAccount: 5,
    trust: {
      amountMinor: values.TRUST_PAYMENT_AMOUNT,
      days: values.TRUST_PAYMENT_DAYS,
      minTenureDays: values.TRUST_PAYMENT_MIN_TENURE_DAYS,
      minPaidMinor: values.TRUST_PAYMENT_MIN_PAID,
      historyDays: 90,
    },
    transfers: {
      minMinor: values.TRANSFER_MIN_AMOUNT,
      maxMinor: values.TRANSFER_MAX_AMOUNT,
      dailyMaxMinor: values.TRANSFER_DAILY_MAX,
      codeTtlSeconds: values.TRANSFER_CODE_TTL_SECONDS,
      requestsPerHour: values.TRANSFER_REQUESTS_PER_HOUR,
    },
  };
}

/** Distributed mode: every setting from the environment, the provider's address and secret required. */
export function loadPaymentsSettings(source: NodeJS.ProcessEnv = process.env): PaymentsSettings {
  const values = parseEnv(paymentsEnvShape, source);
  const url = values.PAYMENT_PROVIDER_URL.replace(/\/+$/, '');
  return paymentsSettingsFrom(values, { url: () => url, secret: values.PAYMENT_PROVIDER_SECRET });
}

/** What a launcher or test sets apart from the provider's address and secret. */
export type PaymentsOverrides = Partial<Omit<PaymentsSettings, 'provider' | 'trust' | 'transfers'>> & {
  provider?: Partial<Pick<PaymentProviderSettings, 'timeoutMs' | 'retries'>>;
  trust?: Partial<PaymentsSettings['trust']>;
  transfers?: Partial<PaymentsSettings['transfers']>;
};

/**
 * The embedded default: the same settings; the provider is the launcher's own sandbox unless PAYMENT_PROVIDER_URL
 * (and then PAYMENT_PROVIDER_SECRET) names another one.
 */
/** What `npm start` reads: the settings, and optionally another provider than its own sandbox. */
export const paymentsAllInOneShape = {
  ...paymentsSettingsShape,
  PAYMENT_PROVIDER_URL: env.url().optional(),
  PAYMENT_PROVIDER_SECRET: env.optionalSecret(16),
};

export function paymentsSettingsForAllInOne(
  values: z.infer<z.ZodObject<typeof paymentsAllInOneShape>>,
): { overrides: PaymentsOverrides; externalProvider: { url: string; secret: string } | null } {
  const { provider, ...rest } = paymentsSettingsFrom(values, { url: () => '', secret: '' });
  const overrides: PaymentsOverrides = { ...rest, provider: { timeoutMs: provider.timeoutMs, retries: provider.retries } };
  if (!values.PAYMENT_PROVIDER_URL) return { overrides, externalProvider: null };
  if (!values.PAYMENT_PROVIDER_SECRET) throw new ConfigError('PAYMENT_PROVIDER_SECRET', 'is required with PAYMENT_PROVIDER_URL');
  return { overrides, externalProvider: { url: values.PAYMENT_PROVIDER_URL.replace(/\/+$/, ''), secret: values.PAYMENT_PROVIDER_SECRET } };
}

/** Settings with their defaults and these overrides. */
export function defaultPaymentsSettings(provider: { url: () => string; secret: string }, overrides: PaymentsOverrides = {}): PaymentsSettings {
  const base = paymentsSettingsFrom(parseEnv(paymentsSettingsShape, {}), provider);
  return {
    ...base,
    ...overrides,
    provider: { ...base.provider, ...(overrides.provider ?? {}) },
    trust: { ...base.trust, ...(overrides.trust ?? {}) },
    transfers: { ...base.transfers, ...(overrides.transfers ?? {}) },
  };
}
