import { env, parseEnv } from '@selfcare/shared';
import type { CatalogSubgraphOptions } from './index';

/** Catalog's own settings (distributed mode); the platform-wide ones are read by the shared process runner. */
export const catalogEnvShape = {
  CATALOG_PORT: env.port(4002),
  CATALOG_DATABASE_URL: env.databaseUrl('sqlite:./data/catalog.sqlite'),
  /** how long a process owns an order it drives; after a crash another takes it over once this ran out */
  CATALOG_ORDER_LEASE_SECONDS: env.int(30, 1),
  /** how often open orders nobody holds (a crash, billing unreachable) are taken up again */
  CATALOG_ORDER_RECOVERY_SECONDS: env.int(5, 1),
  /** holders per transaction when an operator's change reaches every holder of an offer */
  CATALOG_HOLDER_BATCH_SIZE: env.int(200, 1),
};

export interface CatalogConfig {
  port: number;
  databaseUrl: string;
  options: CatalogSubgraphOptions;
}

export function loadCatalogConfig(source: NodeJS.ProcessEnv = process.env): CatalogConfig {
  const parsed = parseEnv(catalogEnvShape, source);
  return {
    port: parsed.CATALOG_PORT,
    databaseUrl: parsed.CATALOG_DATABASE_URL,
    options: {
      orderLeaseMs: parsed.CATALOG_ORDER_LEASE_SECONDS * 1000,
      orderRecoveryIntervalMs: parsed.CATALOG_ORDER_RECOVERY_SECONDS * 1000,
      holderBatchSize: Math.min(parsed.CATALOG_HOLDER_BATCH_SIZE, 1000),
    },
  };
}
