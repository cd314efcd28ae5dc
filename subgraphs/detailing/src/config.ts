import { env, parseEnv } from '@selfcare/shared';

/** Detailing's own settings (distributed mode); the platform-wide ones are read by the shared process runner. */
export const detailingEnvShape = {
  DETAILING_PORT: env.port(4004),
  DETAILING_DATABASE_URL: env.databaseUrl('sqlite:./data/detailing.sqlite'),
  DETAILING_CHARGE_WINDOW_MS: env.int(2_000),
};

export interface DetailingConfig {
  port: number;
  databaseUrl: string;
  /** how often rated usage goes to billing (one ledger entry per line and Almaty day); 0: only on POST /internal/usage/charges/flush */
  chargeWindowMs: number;
}

export function loadDetailingConfig(source: NodeJS.ProcessEnv = process.env): DetailingConfig {
  const parsed = parseEnv(detailingEnvShape, source);
  return { port: parsed.DETAILING_PORT, databaseUrl: parsed.DETAILING_DATABASE_URL, chargeWindowMs: parsed.DETAILING_CHARGE_WINDOW_MS };
}
