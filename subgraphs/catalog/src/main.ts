import { runSubgraphProcess } from '@selfcare/shared';
import { CatalogConfig, loadCatalogConfig } from './config';
import { createCatalogSubgraph } from './index';

// Distributed mode: the catalog subgraph as its own process (configuration is validated before anything starts).
let config: CatalogConfig;
runSubgraphProcess(
  () => createCatalogSubgraph(config.options),
  () => (config = loadCatalogConfig()),
);
