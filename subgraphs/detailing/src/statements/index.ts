import type { Express } from 'express';
import { SubgraphRuntime, detailingEvents } from '@selfcare/shared';
import { StatementJobs, StatementJobSettings } from './statement-jobs';
import { StatementFeed } from './statement-feed';
import { StatementLinks, defaultLinkSecret } from './links';
import { StatementService } from './statement-service';
import { StatementStore } from './store';
import { serveStatementDownloads } from './routes';
import { statementResolvers } from './resolvers';

export interface StatementOptions extends Partial<StatementJobSettings> {
  /** Signs download links (≥ 32 characters); default derived from the internal token. */
  linkSecret?: string;
  /** How long a download link works. */
  linkTtlSeconds?: number;
  /** Statements one caller may have QUEUED or RUNNING at once. */
  maxOpenPerCaller?: number;
}

export const STATEMENT_DEFAULTS = {
  concurrency: 2,
  leaseMs: 60_000,
  pollMs: 2_000,
  maxAttempts: 3,
  maxEmailAttempts: 5,
  linkTtlSeconds: 24 * 60 * 60,
  maxOpenPerCaller: 5,
} as const;

/** The statements module wired to a subgraph's runtime: its resolvers, its download route and its job runner. */
export function createStatements(runtime: SubgraphRuntime, options: StatementOptions = {}) {
  const settings = { ...STATEMENT_DEFAULTS, ...options };
  const links = new StatementLinks(options.linkSecret ?? defaultLinkSecret(runtime.platform.internalToken), settings.linkTtlSeconds, () => runtime.platform.publicUrl);
  const store = new StatementStore(runtime.database, runtime.outboxFor(detailingEvents), runtime.clock);
  const jobs = new StatementJobs(store, runtime.clock, runtime.logger, runtime.internal, runtime.platform.email, links, settings);
  const service = new StatementService(store, runtime.accessPolicy, runtime.clock, links, { maxOpenPerCaller: settings.maxOpenPerCaller }, () => jobs.poke());
  const feed = new StatementFeed(runtime.database, service, runtime.accessPolicy, runtime.verifier, runtime.logger, runtime.feeds);
  runtime.onStop(() => jobs.stop());
  return {
    service,
    jobs,
    links,
    resolvers: statementResolvers(service, feed),
    routes: (app: Express) => serveStatementDownloads(app, runtime.database, links, runtime.clock, runtime.logger),
    start: async () => jobs.start(),
  };
}

export { StatementLinks, defaultLinkSecret } from './links';
export { StatementEntity, StatementChunkEntity, StatementFormat, StatementStatus } from './entities';
