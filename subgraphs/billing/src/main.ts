import { runSubgraphProcess } from '@selfcare/shared';
import { BillingConfig, loadBillingConfig } from './config';
import { createBillingSubgraph } from './index';

// Distributed mode: the billing subgraph as its own process (configuration is validated before anything starts).
let config: BillingConfig;
runSubgraphProcess(
  () => createBillingSubgraph(config.options),
  () => (config = loadBillingConfig()),
);
