import { env, parseEnv } from '@selfcare/shared';
import type { DetailingSubgraphOptions } from './index';

/** Detailing's own settings (distributed mode); the platform-wide ones are read by the shared process runner. */
export const detailingEnvShape = {
  DETAILING_PORT: env.port(4004),
  DETAILING_DATABASE_URL: env.databaseUrl('sqlite:./data/detailing.sqlite'),
  /** signs statements' download links; empty: derived from INTERNAL_API_TOKEN */
  STATEMENT_LINK_SECRET: env.optionalSecret(32),
  /** how long a statement's download link works */
  STATEMENT_LINK_TTL_SECONDS: env.int(86_400, 60),
  /** statements one process renders at once (0: none, other replicas render) */
  STATEMENT_CONCURRENCY: env.int(2, 0),
  /** statements one subscriber may have QUEUED or RUNNING at once */
  STATEMENT_MAX_OPEN_PER_SUBSCRIBER: env.int(5, 1),
  /** how often rated usage goes to billing (one ledger entry per line and Almaty day); 0: only on POST /internal/usage/charges/flush */
  DETAILING_CHARGE_WINDOW_MS: env.int(60_000),
};

export interface DetailingConfig {
  port: number;
  databaseUrl: string;
  options: DetailingSubgraphOptions;
}

export function loadDetailingConfig(source: NodeJS.ProcessEnv = process.env): DetailingConfig {
  const parsed = parseEnv(detailingEnvShape, source);
  const secret = parsed.STATEMENT_LINK_SECRET;
  return {
    port: parsed.DETAILING_PORT,
    databaseUrl: parsed.DETAILING_DATABASE_URL,
    options: {
      statements: {
        ...(secret ? { linkSecret: secret } : {}),
        linkTtlSeconds: parsed.STATEMENT_LINK_TTL_SECONDS,
        concurrency: parsed.STATEMENT_CONCURRENCY,
        maxOpenPerCaller: parsed.STATEMENT_MAX_OPEN_PER_SUBSCRIBER,
      },
      chargeWindowMs: parsed.DETAILING_CHARGE_WINDOW_MS,
    },
  };
}
