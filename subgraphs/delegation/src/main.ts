import { runSubgraphProcess } from '@selfcare/shared';
import { loadDelegationConfig } from './config';
import { createDelegationSubgraph } from './index';

// Distributed mode: the delegation subgraph as its own process (configuration is validated before anything starts).
runSubgraphProcess(() => createDelegationSubgraph(), loadDelegationConfig);
