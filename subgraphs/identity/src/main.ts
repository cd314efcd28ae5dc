/**
 * Distributed mode: `npm run start:identity` (node subgraphs/identity/dist/main.js). Identity's settings come from
 * IDENTITY_* and STAFF_ACCOUNTS (src/config.ts), the platform's from the shared variables; migrations must have
 * been applied with `npm run migrate`. SIGTERM/SIGINT shut it down gracefully.
 */
import { runSubgraphProcess } from '@selfcare/shared';
import { createIdentitySubgraph } from './index';
import { IdentityConfig, loadIdentityConfig } from './config';

let config: IdentityConfig | undefined;
const load = (): IdentityConfig => (config ??= loadIdentityConfig());

runSubgraphProcess(
  () => createIdentitySubgraph(load().options),
  () => ({ port: load().port, databaseUrl: load().databaseUrl }),
);
