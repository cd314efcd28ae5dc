import type { Express } from 'express';
import { SubgraphRuntime, detailingEvents, flushUsageCharges, identityEvents, ingestUsage, serveInternal } from '@selfcare/shared';
import { ChargeWindow } from './charge-window';
import { UsageIngest } from './ingest-service';
import { UsageLines } from './lines';
import { LinePlanCache } from './plan-cache';
import { ingestResolvers } from './resolvers';

/**
 * Usage ingestion and rating (terms 2.1, 2.10): the staff mutation, POST /internal/usage/ingest (what the CSV import
 * calls), detailing's view of the lines from identity's events, and the charge window that hands the rated usage to
 * billing (UsageCharged; POST /internal/usage/charges/flush runs it at once).
 */
export function createUsageIngestion(runtime: SubgraphRuntime, options: { chargeWindowMs: number }) {
  const lines = new UsageLines(runtime.database, runtime.clock);
  const charges = new ChargeWindow(runtime.database, runtime.outboxFor(detailingEvents), runtime.clock, runtime.logger, options.chargeWindowMs);
  const plans = new LinePlanCache(runtime.clock);
  const ingest = new UsageIngest(runtime.database, lines, runtime.internal, runtime.clock, () => charges.rated(), plans);
  runtime.onStop(() => charges.stop());
  runtime.consume(identityEvents, {
    SubscriberProvisioned: (line, manager) => (plans.forget(line.subscriberId), lines.provisioned(manager, line)),
    AccessStatusChanged: (change, manager) => (plans.forget(change.subscriberId), lines.accessChanged(manager, change.subscriberId, change.status)),
  });
  return {
    ingest,
    charges,
    lines,
    resolvers: ingestResolvers(ingest),
    routes: (app: Express) => {
      serveInternal(app, runtime.platform.internalToken, ingestUsage, async ({ records }) => ingest.ingest(records));
      serveInternal(app, runtime.platform.internalToken, flushUsageCharges, () => charges.flush());
    },
    seed: () => lines.seedDemo(),
    start: () => charges.start(),
  };
}
