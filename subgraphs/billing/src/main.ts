import { runSubgraphProcess } from '@selfcare/shared';
import { loadBillingConfig } from './config';
import { createBillingSubgraph } from './index';
import { loadPaymentsSettings } from './payments/config';

// Distributed mode: the billing subgraph as its own process (configuration is validated before anything starts).
runSubgraphProcess(() => createBillingSubgraph({ payments: loadPaymentsSettings() }), loadBillingConfig);
