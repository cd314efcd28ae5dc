import { runSubgraphProcess } from '@selfcare/shared';
import { loadDetailingConfig } from './config';
import { createDetailingSubgraph } from './index';

// Distributed mode: the detailing subgraph as its own process (configuration is validated before anything starts).
runSubgraphProcess(() => createDetailingSubgraph(), loadDetailingConfig);
