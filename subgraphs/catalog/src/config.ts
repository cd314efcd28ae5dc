import { env, parseEnv } from '@selfcare/shared';

/** Catalog's own settings (distributed mode); the platform-wide ones are read by the shared process runner. */
export const catalogEnvShape = {
  CATALOG_PORT: env.port(4002),
  CATALOG_DATABASE_URL: env.databaseUrl('sqlite:./data/catalog.sqlite'),
};

export interface CatalogConfig {
  port: number;
  databaseUrl: string;
}

export function loadCatalogConfig(source: NodeJS.ProcessEnv = process.env): CatalogConfig {
  const parsed = parseEnv(catalogEnvShape, source);
  return { port: parsed.CATALOG_PORT, databaseUrl: parsed.CATALOG_DATABASE_URL };
}
