import { runSubgraphProcess } from '@selfcare/shared';
import { DelegationConfig, loadDelegationConfig } from './config';
import { createDelegationSubgraph } from './index';

let config: DelegationConfig | undefined;
const load = (): DelegationConfig => (config ??= loadDelegationConfig());

// Distributed mode: the delegation subgraph as its own process (configuration is validated before anything starts).
runSubgraphProcess(
  () => createDelegationSubgraph({ settings: load().settings }),
  () => ({ port: load().port, databaseUrl: load().databaseUrl }),
);
