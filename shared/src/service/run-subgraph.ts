import type { Express } from 'express';
import type { GraphQLSchema } from 'graphql';
import { AccessPolicy, ManagedAccessLog, ManagementGrantSource } from './access-policy';
import { GrantWatch } from './grant-watch';
import type { Clock } from './clock';
import type { Class } from '../types';
import type { ServiceDirectory, ServiceName } from './directory';
import { InternalClient } from './internal-http';
import { Database } from '../db/database';
import { AccessTokenVerifier, KeySource, httpJwksSource } from '../auth/verifier';
import { CachedTokenVerifier, TokenVerifier } from '../auth/token-cache';
import type { RevocationStore } from '../auth/revocation';
import type { ConsumerHandler, EventBus } from '../events/types';
import { ContractOutbox, EventTablesMigration, InboxEventEntity, OutboxEventEntity, TransactionalOutbox } from '../events/outbox';
import { OutboxRelay } from '../events/relay';
import { FeedWakeups, WakeupChannel } from '../events/feed-wakeups';
import { EventHandlers, IdempotentConsumer, contractHandler } from '../events/consumer';
import type { EventContract } from '../contracts/event-contract';
import { managementCheck } from '../contracts/delegation-api';
import { delegationEvents } from '../contracts/delegation-events';
import type { EmailTransport, Notifications, SmsTransport } from '../notifications/types';
import { NotificationDispatcher, OutboxNotifications } from '../notifications/notifications';
import { createContextBuilder, createContextFactory } from '../graphql/context-factory';
import type { GraphQLContext } from '../graphql/context';
import { serveSubscriptions } from '../http/websocket';
import { HealthCheck, RunningService, startGraphQLService } from '../http/graphql-server';
import { createLogger, Logger } from '../logging/logger';
import { ServiceMetrics } from '../metrics/metrics';
import { DEFAULT_OPERATION_LIMITS, OperationLimitSettings, createOperationLimits, subgraphBackstop } from '../graphql/operation-limits';

/** What the whole platform shares, built once per process by the launcher (all-in-one or one service). */
export interface PlatformServices {
  mode: 'all-in-one' | 'distributed';
  production: boolean;
  bus: EventBus;
  revocations: RevocationStore;
  sms: SmsTransport;
  email: EmailTransport;
  directory: ServiceDirectory;
  /** Shared secret of the services' internal HTTP APIs. */
  internalToken: string;
  clock: Clock;
  tokenIssuer: string;
  accessTokenTtlSeconds: number;
  /** Public base URL subscribers reach (links in e-mails: unsubscribe, e-mail verification). */
  publicUrl: string;
  /** How often each outbox relay polls when not poked. */
  relayPollMs: number;
  /** The gateway's request limits (GRAPHQL_*); each subgraph applies `subgraphBackstop` of them. Default: the kit's. */
  operationLimits?: OperationLimitSettings;
  /** What /metrics requires as a bearer token (METRICS_TOKEN); default the internal token. */
  metricsToken?: string;
  /** The live feeds' shared safety poll of each service (default 5 s). */
  feedSafetyPollMs?: number;
  /** How a service's replicas tell each other of writes that wake feeds (distributed mode: Redis pub/sub). */
  feedWakeupChannel?: (service: string) => WakeupChannel;
  /**
   * The SMS centre's shared secret (SMS_CENTRE_SECRET): it signs outbound messages, and delegation verifies the inbound
   * SMS to 4259 with it (POST /sms/inbound, terms 5.6.4).
   */
  smsCentreSecret?: string;
}

export interface SubgraphRuntime {
  name: ServiceName;
  database: Database;
  /**
   * This service's outbox typed by its contract (shared/src/contracts): the event type selects the payload type,
   * validated before insert. Refuses another service's contract.
   */
  outboxFor<C extends EventContract>(contract: C): ContractOutbox<C>;
  notifications: Notifications;
  logger: Logger;
  metrics: ServiceMetrics;
  clock: Clock;
  platform: PlatformServices;
  /** The service's token check, the signature cached per token (CachedTokenVerifier). */
  verifier: TokenVerifier;
  accessPolicy: AccessPolicy;
  internal: InternalClient;
  /** Wakes the service's live feeds (subscriptions) when what they follow is written. */
  feeds: FeedWakeups;
  /**
   * Consumes another service's stream through its contract: `consume(identityEvents, { SubscriberProvisioned:
   * async (payload, manager, event) => … })`. Payloads arrive parsed; a malformed event is logged and skipped;
   * types without a handler are ignored. Idempotent (inbox), started with the service.
   */
  consume<C extends EventContract>(contract: C, handlers: EventHandlers<C>): void;
  /** Runs on shutdown, before the database closes. */
  onStop(hook: () => Promise<void>): void;
  addReadinessCheck(check: HealthCheck): void;
}

export interface SubgraphSetup {
  schema: GraphQLSchema;
  routes?: (app: Express) => void;
  /** Demo data for the embedded default; must be idempotent (runs on every start, inserts only what is missing). */
  seed?: () => Promise<void>;
  /** Background jobs, started once the service listens. */
  start?: () => Promise<void>;
}

export interface SubgraphDefinition {
  name: Exclude<ServiceName, 'gateway'>;
  entities: Class[];
  migrations: Class[];
  /** Where token keys come from; identity serves them from memory, everyone else over HTTP. */
  keySource?: (runtime: Pick<SubgraphRuntime, 'platform'>) => KeySource;
  /** delegation answers management questions locally; the others ask it over HTTP. */
  grantSource?: (runtime: Omit<SubgraphRuntime, 'accessPolicy'>) => ManagementGrantSource;
  setup(runtime: SubgraphRuntime): Promise<SubgraphSetup>;
}

export interface RunSubgraphOptions {
  port: number;
  host?: string;
  databaseUrl: string;
  /** Embedded default: migrate on open. Distributed: `npm run migrate` does it, start refuses pending migrations. */
  migrateOnOpen: boolean;
  seedDemoData: boolean;
  logger?: Logger;
  /**
   * Leave the outbox relay and background jobs to `startBackground()`: the all-in-one launcher starts them once
   * every subgraph's consumers are subscribed, so no event is published before its consumers exist.
   */
  deferBackground?: boolean;
}

export interface RunningSubgraph extends RunningService {
  runtime: SubgraphRuntime;
  /** Starts the outbox relay and background jobs (already started unless `deferBackground`). */
  startBackground: () => Promise<void>;
  /**
   * Stops the outbox relay (finishing its batch); `stop()` does it too. The all-in-one launcher calls it on every
   * subgraph before any consumer stops: the in-process bus keeps nothing, so an event published once a consumer
   * group stopped would be marked published and never reach that group.
   */
  stopRelay: () => Promise<void>;
  /** Resolves once the outbox relay has served every write committed so far (at once when it is stopped). */
  relaySettled: () => Promise<void>;
}

/** Asks delegation's internal API which of these numbers the manager may manage now. */
export function httpGrantSource(internal: InternalClient): ManagementGrantSource {
  return {
    async managedBy(managerId, subscriberIds) {
      const answer = await internal.call(managementCheck, { managerId, subscriberIds: [...subscriberIds] });
      if (answer.managed.length !== subscriberIds.length) throw new Error(`delegation answered ${answer.managed.length} of ${subscriberIds.length} management checks`);
      return answer.managed;
    },
  };
}

/**
 * Runs one subgraph the same way in every mode: its own database (migrated or checked), its outbox relay,
 * its consumers, and the GraphQL HTTP service with health, readiness, metrics and graceful shutdown.
 */
export async function runSubgraph(
  definition: SubgraphDefinition,
  platform: PlatformServices,
  options: RunSubgraphOptions,
): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger(definition.name);
  const metrics = new ServiceMetrics(definition.name);
  const database = new Database({
    service: definition.name,
    url: options.databaseUrl,
    entities: [OutboxEventEntity, InboxEventEntity, ...definition.entities],
    migrations: [EventTablesMigration, ...definition.migrations],
    migrateOnOpen: options.migrateOnOpen,
    logger,
  });
  await database.open();

  const outbox = new TransactionalOutbox(definition.name, platform.clock);
  const feeds = new FeedWakeups({
    database,
    stream: definition.name,
    safetyPollMs: platform.feedSafetyPollMs ?? 5_000,
    ...(platform.feedWakeupChannel ? { channel: platform.feedWakeupChannel(definition.name) } : {}),
    logger,
  });
  outbox.onWrite((written) => feeds.written(written));
  metrics.gauge('live_feed_followers', 'Live subscriptions following a feed key on this process (balanceChanged, statementUpdated…)', () => feeds.followerCount);
  const stopHooks: (() => Promise<void>)[] = [];
  const readiness: HealthCheck[] = [
    { name: 'database', check: () => database.ping() },
    { name: 'bus', check: () => platform.bus.ping() },
  ];
  const consumerHandlers: { stream: ServiceName; handler: ConsumerHandler }[] = [];
  const internal = new InternalClient(platform.directory, platform.internalToken, { logger });
  const keySource = definition.keySource?.({ platform }) ?? httpJwksSource(() => `${platform.directory.url('identity')}/.well-known/jwks.json`);
  // One signature check per token while it lives, shared by every request, subscription start and live check.
  const verifier = new CachedTokenVerifier(new AccessTokenVerifier(keySource, platform.revocations, platform.tokenIssuer));

  const partial: Omit<SubgraphRuntime, 'accessPolicy'> = {
    name: definition.name,
    database,
    outboxFor: (contract) => new ContractOutbox(contract, outbox),
    notifications: new OutboxNotifications(outbox, platform.clock),
    logger,
    metrics,
    clock: platform.clock,
    platform,
    verifier,
    internal,
    feeds,
    consume: (contract, handlers) => {
      consumerHandlers.push({ stream: contract.stream, handler: contractHandler(contract, handlers, logger) });
    },
    onStop: (hook) => {
      stopHooks.push(hook);
    },
    addReadinessCheck: (check) => {
      readiness.push(check);
    },
  };
  const grants = definition.grantSource?.(partial) ?? httpGrantSource(internal);
  const runtime: SubgraphRuntime = { ...partial, accessPolicy: new AccessPolicy(grants) };

  const setup = await definition.setup(runtime);
  if (options.seedDemoData && setup.seed) await setup.seed();

  // terms 4.4: the end of a grant reaches live subscriptions at once. Delegation's event wakes the grant's key here and,
  // through the wake-ups' channel, on every other replica; each subscription that acted through it asks again.
  const grantWatch = setup.schema.getSubscriptionType() && definition.name !== 'delegation' ? new GrantWatch(feeds, runtime.accessPolicy, logger) : null;
  if (grantWatch) partial.consume(delegationEvents, { ManagementRequestChanged: async (change) => grantWatch.changed(change) });

  const relay = new OutboxRelay({
    database,
    bus: platform.bus,
    stream: definition.name,
    dispatcher: new NotificationDispatcher(platform.sms, platform.email, logger),
    logger,
    metrics,
    pollIntervalMs: platform.relayPollMs,
  });
  outbox.onWrite(() => relay.poke());
  // One consumer per stream: every handler registered for it runs in the same transaction as the inbox record.
  const streams = [...new Set(consumerHandlers.map((c) => c.stream))];
  const consumers = streams.map((stream) => {
    const handlers = consumerHandlers.filter((c) => c.stream === stream).map((c) => c.handler);
    const handler: ConsumerHandler = async (event, manager) => {
      for (const handle of handlers) await handle(event, manager);
    };
    // A read's events: each registered handler takes them in turn (its own batch if it has one), in order.
    handler.many = async (events, manager) => {
      for (const handle of handlers) {
        if (handle.many) await handle.many(events, manager);
        else for (const event of events) await handle(event, manager);
      }
    };
    return new IdempotentConsumer({ database, bus: platform.bus, stream, group: definition.name, handler, logger });
  });

  const subscriptionContext = createContextBuilder(verifier, logger);
  const service = await startGraphQLService({
    name: definition.name,
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    schema: setup.schema,
    logger,
    metrics,
    production: platform.production,
    requireInternalToken: platform.internalToken,
    metricsToken: platform.metricsToken ?? platform.internalToken,
    operationLimits: createOperationLimits(subgraphBackstop(platform.operationLimits ?? DEFAULT_OPERATION_LIMITS)),
    buildContext: createContextFactory(verifier, logger, platform.internalToken),
    ...(setup.schema.getSubscriptionType()
      ? {
          websocket: (httpServer, formatError) =>
            serveSubscriptions<GraphQLContext>({
              httpServer,
              schema: setup.schema,
              buildContext: async (hints) => ({ ...(await subscriptionContext(hints)), managedAccess: new ManagedAccessLog() }),
              formatError,
              internalToken: platform.internalToken,
              logger,
              ...(grantWatch ? { watch: (context, results) => grantWatch.watch(context, results) } : {}),
            }),
        }
      : {}),
    readiness,
    routes: setup.routes,
    onShutdown: [
      async () => {
        for (const consumer of consumers) await consumer.stop();
      },
      async () => {
        for (const hook of stopHooks) await hook();
      },
      // The relay finishes the batch it is publishing before it stops.
      () => relay.stop(),
      () => feeds.stop(),
      () => database.close(),
    ],
  });
  platform.directory.set(definition.name, service.url);

  for (const consumer of consumers) await consumer.start();
  await feeds.start();
  let background: Promise<void> | null = null;
  const startBackground = () =>
    (background ??= (async () => {
      relay.start();
      await setup.start?.();
    })());
  if (!options.deferBackground) await startBackground();
  return { ...service, runtime, startBackground, stopRelay: () => relay.stop(), relaySettled: () => relay.settled() };
}

