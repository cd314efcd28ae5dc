import { runSubgraphProcess } from '@selfcare/shared';
import { DetailingConfig, loadDetailingConfig } from './config';
import { createDetailingSubgraph } from './index';

// Distributed mode: the detailing subgraph as its own process (configuration is validated before anything starts).
let config: DetailingConfig;
runSubgraphProcess(
  () => createDetailingSubgraph(config.options),
  () => (config = loadDetailingConfig()),
);
