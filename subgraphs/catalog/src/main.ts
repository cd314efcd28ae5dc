import { runSubgraphProcess } from '@selfcare/shared';
import { loadCatalogConfig } from './config';
import { createCatalogSubgraph } from './index';

// Distributed mode: the catalog subgraph as its own process (configuration is validated before anything starts).
runSubgraphProcess(() => createCatalogSubgraph(), loadCatalogConfig);
