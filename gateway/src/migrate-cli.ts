import { Database, createLogger, env, generateSigningKeyPem, parseEnv, signingKeyFromPem, startOrExit } from '@selfcare/shared';
import { createIdentitySubgraph } from '@selfcare/identity';
import { createCatalogSubgraph } from '@selfcare/catalog';
import { createBillingSubgraph } from '@selfcare/billing';
import { createDetailingSubgraph } from '@selfcare/detailing';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { SUBGRAPH_NAMES } from './system';
import type { SubgraphName } from './gateway-server';
import { EventTablesMigration, InboxEventEntity, OutboxEventEntity } from '@selfcare/shared';

/**
 * `npm run migrate [identity catalog …]`: applies each subgraph's migrations to its own database
 * (<NAME>_DATABASE_URL). The distributed services refuse to start with pending migrations.
 */
void startOrExit(async () => {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-')) as SubgraphName[];
  for (const name of requested) {
    if (!SUBGRAPH_NAMES.includes(name)) throw new Error(`unknown subgraph "${name}"; expected one of ${SUBGRAPH_NAMES.join(', ')}`);
  }
  const targets = requested.length ? requested : SUBGRAPH_NAMES;
  const urls = parseEnv(
    Object.fromEntries(targets.map((name) => [`${name.toUpperCase()}_DATABASE_URL`, env.databaseUrl()])),
  ) as Record<string, string>;
  // The signing key plays no part in migrating; the definition only needs one to be built.
  const throwAwayKey = signingKeyFromPem(generateSigningKeyPem());
  const definitions = {
    identity: () => createIdentitySubgraph({ signingKey: throwAwayKey }),
    catalog: () => createCatalogSubgraph(),
    billing: () => createBillingSubgraph(),
    detailing: () => createDetailingSubgraph(),
    delegation: () => createDelegationSubgraph(),
  };
  const logger = createLogger('migrate');
  for (const name of targets) {
    const definition = definitions[name]();
    const database = new Database({
      service: name,
      url: urls[`${name.toUpperCase()}_DATABASE_URL`]!,
      entities: [OutboxEventEntity, InboxEventEntity, ...definition.entities],
      migrations: [EventTablesMigration, ...definition.migrations],
      migrateOnOpen: true,
      logger,
    });
    await database.open();
    const applied = database.appliedOnOpen;
    await database.close();
    process.stdout.write(`${name}: database up to date${applied.length ? ` (applied ${applied.join(', ')})` : ''}\n`);
  }
});
