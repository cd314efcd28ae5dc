import type { Express } from 'express';
import { SubgraphRuntime, detailingEvents, identityEvents, ingestUsage, serveInternal } from '@selfcare/shared';
import { UsageIngest } from './ingest-service';
import { UsageLines } from './lines';
import { ingestResolvers } from './resolvers';

/**
 * Usage ingestion and rating (terms 2.1, 2.10): the staff mutation, POST /internal/usage/ingest (what the CSV import
 * calls), detailing's view of the lines from identity's events, and the charges billing posts (UsageCharged).
 */
export function createUsageIngestion(runtime: SubgraphRuntime) {
  const lines = new UsageLines(runtime.database, runtime.clock);
  const ingest = new UsageIngest(runtime.database, lines, runtime.internal, runtime.clock, runtime.outboxFor(detailingEvents));
  runtime.consume(identityEvents, {
    SubscriberProvisioned: (line, manager) => lines.provisioned(manager, line),
    AccessStatusChanged: (change, manager) => lines.accessChanged(manager, change.subscriberId, change.status),
  });
  return {
    ingest,
    lines,
    resolvers: ingestResolvers(ingest),
    routes: (app: Express) => serveInternal(app, runtime.platform.internalToken, ingestUsage, async ({ records }) => ingest.ingest(records)),
    seed: () => lines.seedDemo(),
  };
}
