import { runSubgraphProcess } from '@selfcare/shared';
import { DetailingConfig, loadDetailingConfig } from './config';
import { createDetailingSubgraph } from './index';

// Distributed mode: the detailing subgraph as its own process (configuration is validated before anything starts:
// the runner reads it before it builds the subgraph).
let config: DetailingConfig | null = null;
runSubgraphProcess(
  () => createDetailingSubgraph(config!.options),
  () => (config = loadDetailingConfig()),
);
