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
// usage ingestion and rating
import { UsageChargeTotalEntity, UsageCounterEntity, UsageLineEntity } from './ingest/entities';
import { DetailingIngest1764900000001 } from './migrations/1764900000001-detailing-ingest';
import { createUsageIngestion } from './ingest/module';
import type { UsageIngest } from './ingest/ingest-service';
import type { ChargeWindow } from './ingest/charge-window';

export * from './config';
export * from './usage/entities';
export { UsageService } from './usage/usage-service';
export { createDetailingErasure, statementsEraser, usageEraser, usageLinesEraser } from './retention/erasure';
export { MAX_PERIOD_DAYS, allowancePeriodOf, validatePeriod } from './usage/period';
export { maskCounterparty } from './usage/masking';
export * from './statements';

// usage ingestion and rating
export * from './ingest/entities';
export { UsageIngest } from './ingest/ingest-service';
export { ChargeWindow } from './ingest/charge-window';
export type { IngestOutcome } from './ingest/ingest-service';
export { importUsageCsv } from './ingest/csv';

export const detailingEntities = [UsageRecordEntity, UsageLineEntity, UsageCounterEntity, UsageChargeTotalEntity, StatementEntity, StatementChunkEntity];
export const detailingMigrations = [DetailingInitial1764300000000, DetailingStatements1764900000000, DetailingIngest1764900000001];

/** What a running detailing exposes to tests and the benchmark. */
export interface DetailingSubgraph extends SubgraphDefinition {
  readonly services: { ingest: UsageIngest; charges: ChargeWindow };
}

export interface DetailingSubgraphOptions {
  statements?: StatementOptions;
  /** How often rated usage is posted to billing, one ledger entry per line and Almaty day (DETAILING_CHARGE_WINDOW_MS); 0: only when asked. Default 60 s: a line's usage of a minute is one ledger entry, not thirty (bench/detailing.js). */
  chargeWindowMs?: number;
}

/**
 * The detailing subgraph: itemized usage, summaries and allowances per line (terms 2.1, 2.10), and the usage
 * pipeline — ingestion, rating against the catalog's plan at the time of use, charges to billing.
 */

export function createDetailingSubgraph(options: DetailingSubgraphOptions = {}): DetailingSubgraph {
  let services: DetailingSubgraph['services'] | null = null;
  return {
    name: 'detailing',
    get services() {
      if (!services) throw new Error('the detailing subgraph has not been set up (start it first)');
      return services;
    },
    entities: detailingEntities,
    migrations: detailingMigrations,
    async setup(runtime) {
      const usage = new UsageService(runtime.database, runtime.accessPolicy, runtime.internal, runtime.clock);
      // terms 2.11: a module with personal data of its own registers its eraser here (see retention/erasure.ts).
      createDetailingErasure(runtime);
      const statements = createStatements(runtime, options.statements);
      const ingestion = createUsageIngestion(runtime, { chargeWindowMs: options.chargeWindowMs ?? 60_000 });
      services = { ingest: ingestion.ingest, charges: ingestion.charges };
      const schema = await buildFederatedSchema({
        resolvers: [...detailingResolvers(usage), ...statements.resolvers, ...ingestion.resolvers],
        orphanedTypes: [Subscriber],
        referenceResolvers: {
          Subscriber: { __resolveReference: (reference: { id: string }) => Object.assign(new Subscriber(), { id: reference.id }) },
          Statement: { __resolveReference: (reference, ctx) => statements.service.statement(ctx, reference.id) },
        },
      });
      return {
        schema,
        routes: (app) => {
          statements.routes(app);
          ingestion.routes(app);
        },
        start: async () => {
          await statements.start();
          ingestion.start();
        },
        seed: async () => {
          await seedDetailingDemo(runtime.database, runtime.clock);
          await ingestion.seed();
        },
      };
    },
  };
}
