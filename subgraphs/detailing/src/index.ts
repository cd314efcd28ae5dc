import { SubgraphDefinition, buildFederatedSchema } from '@selfcare/shared';
import { UsageRecordEntity } from './usage/entities';
import { UsageService } from './usage/usage-service';
import { Subscriber } from './usage/types';
import { detailingResolvers } from './resolvers';
import { DetailingInitial1764300000000 } from './migrations/1764300000000-detailing-initial';
import { seedDetailingDemo } from './seed/demo-seed';
import { createDetailingErasure } from './retention/erasure';
import { DetailingStatements1764900000000 } from './migrations/1764900000000-detailing-statements';
import { StatementChunkEntity, StatementEntity, StatementOptions, createStatements } from './statements';

export * from './config';
export * from './usage/entities';
export { UsageService } from './usage/usage-service';
export { createDetailingErasure, statementsEraser, usageEraser } from './retention/erasure';
export { MAX_PERIOD_DAYS, allowancePeriodOf, validatePeriod } from './usage/period';
export { maskCounterparty } from './usage/masking';
export * from './statements';

export interface DetailingSubgraphOptions {
  statements?: StatementOptions;
}

export const detailingEntities = [UsageRecordEntity, StatementEntity, StatementChunkEntity];
export const detailingMigrations = [DetailingInitial1764300000000, DetailingStatements1764900000000];

/**
 * The detailing subgraph: itemized usage, summaries and allowances per line (terms 2.1, 2.10).
 * Allowances ask the catalog (POST /internal/subscribers/plans) what the line's tariff includes.
 */
export function createDetailingSubgraph(options: DetailingSubgraphOptions = {}): SubgraphDefinition {
  return {
    name: 'detailing',
    entities: detailingEntities,
    migrations: detailingMigrations,
    async setup(runtime) {
      const usage = new UsageService(runtime.database, runtime.accessPolicy, runtime.internal, runtime.clock);
      // terms 2.11: a module with personal data of its own registers its eraser here (see retention/erasure.ts).
      createDetailingErasure(runtime);
      const statements = createStatements(runtime, options.statements);
      const schema = await buildFederatedSchema({
        resolvers: [...detailingResolvers(usage), ...statements.resolvers],
        orphanedTypes: [Subscriber],
        referenceResolvers: {
          Subscriber: { __resolveReference: (reference: { id: string }) => Object.assign(new Subscriber(), { id: reference.id }) },
          Statement: { __resolveReference: (reference, ctx) => statements.service.statement(ctx, reference.id) },
        },
      });
      return { schema, seed: () => seedDetailingDemo(runtime.database, runtime.clock), routes: statements.routes, start: statements.start };
    },
  };
}
