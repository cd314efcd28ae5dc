import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  AccessTokenVerifier,
  Clock,
  HttpSmsCentreTransport,
  InProcessEventBus,
  Logger,
  MemoryRevocationStore,
  OperationLimitSettings,
  PlatformServices,
  RunningService,
  RunningSubgraph,
  ServiceDirectory,
  SmtpEmailTransport,
  SubgraphDefinition,
  TrustProxySetting,
  createLogger,
  httpJwksSource,
  loadOrCreateSigningKey,
  runSubgraph,
  systemClock,
} from '@selfcare/shared';
import { createIdentitySubgraph } from '@selfcare/identity';
import { CatalogSubgraphOptions, createCatalogSubgraph } from '@selfcare/catalog';
import { BillingSubgraphOptions, PaymentsOverrides, WEBHOOK_PATH, createBillingSubgraph, defaultPaymentsSettings } from '@selfcare/billing';
import { DetailingSubgraphOptions, createDetailingSubgraph } from '@selfcare/detailing';
import { DelegationSubgraphOptions, createDelegationSubgraph } from '@selfcare/delegation';
import { DevMailSink } from './dev/mail-sink';
import { DevSmsCentre } from './dev/sms-centre';
import { SandboxCardProvider, SandboxCardProviderOptions } from './dev/card-provider';
import { SubgraphName, startGateway } from './gateway-server';
import type { GatewayTimeouts } from './limits';
import type { SubscriptionSettings } from './subscription-settings';

export const SUBGRAPH_NAMES: SubgraphName[] = ['identity', 'catalog', 'billing', 'detailing', 'delegation'];

export const DEFAULT_PORTS: Record<SubgraphName | 'gateway', number> = {
  gateway: 4000,
  identity: 4001,
  catalog: 4002,
  billing: 4003,
  detailing: 4004,
  delegation: 4005,
};

export function repositoryRoot(): string {
  return resolve(__dirname, '..', '..');
}

export function readSupergraph(path = join(repositoryRoot(), 'schema', 'supergraph.graphql')): string {
  return readFileSync(path, 'utf8');
}

export interface SystemOptions {
  /** 0 picks a free port (tests). */
  gatewayPort?: number;
  subgraphPorts?: Partial<Record<SubgraphName, number>>;
  /** The gateway's listen address (GATEWAY_HOST); default loopback. */
  host?: string;
  /** Each subgraph's listen address (<NAME>_HOST); default loopback. */
  subgraphHosts?: Partial<Record<SubgraphName, string>>;
  /** Request limits and time budget of the gateway (and the subgraphs' backstop); default the kit's. */
  limits?: OperationLimitSettings;
  timeouts?: GatewayTimeouts;
  trustProxy?: TrustProxySetting;
  corsOrigins?: readonly string[];
  /** Bearer token of every /metrics (METRICS_TOKEN); default the platform's random internal token. */
  metricsToken?: string;
  /** Where the SQLite files and the signing key live; default ./data. */
  dataDir?: string;
  /** Per-subgraph database URLs, e.g. MariaDB in tests; default sqlite:<dataDir>/<name>.sqlite. */
  databaseUrls?: Partial<Record<SubgraphName, string>>;
  seedDemoData?: boolean;
  clock?: Clock;
  supergraphSdl?: string;
  logLevel?: string;
  relayPollMs?: number;
  accessTokenTtlSeconds?: number;
  /** Extra options for identity (rate limits, KDF cost…), mostly for tests. */
  identity?: Record<string, unknown>;
  /** Delegation's settings (DELEGATION_* in `npm start`; rate limits, time to confirm, the expiry job). */
  delegation?: DelegationSubgraphOptions;
  /** Catalog's order saga and billing's fee run settings (tests: short leases, crash points, the fee run on demand). */
  catalog?: CatalogSubgraphOptions;
  billing?: BillingSubgraphOptions;
  /** Detailing's settings (the charge window, statements). */
  detailing?: DetailingSubgraphOptions;
  /** Start only the subgraphs (used by `npm run compose`). */
  withoutGateway?: boolean;
  /** The gateway's websocket caps and resumption. */
  subscriptions?: Partial<SubscriptionSettings>;
  /** The live feeds' shared safety poll per service (default 5 s). */
  feedSafetyPollMs?: number;
  /** Payments' settings (PAYMENT_*, TRUST_PAYMENT_*, TRANSFER_*) apart from the provider's address and secret. */
  payments?: PaymentsOverrides;
  /**
   * The card provider: by default the sandbox, served on the gateway's port (its options here); `{url, secret}` names
   * another one (a sandbox in its own process that outlives this one, or a real processor).
   */
  cardProvider?: { url: string; secret: string } | { sandbox: Partial<Omit<SandboxCardProviderOptions, 'secret' | 'webhookUrl' | 'publicUrl'>> };
}

export interface RunningSystem {
  gatewayUrl: string;
  graphqlUrl: string;
  gateway: RunningService | null;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  platform: PlatformServices;
  smsCentre: DevSmsCentre;
  mail: DevMailSink;
  /** The sandbox card provider on the gateway's port; null when `cardProvider` named another. */
  cardProvider: SandboxCardProvider | null;
  /** How billing reaches its card provider (a subgraph started again gets the same). */
  payments: PaymentsWiring;
  stop(): Promise<void>;
}

export interface PaymentsWiring {
  settings: PaymentsOverrides;
  provider: { url: () => string; secret: string };
}

export function subgraphDefinitions(
  platformDataDir: string,
  identityOptions: Record<string, unknown> = {},
  others: { delegation?: DelegationSubgraphOptions; catalog?: CatalogSubgraphOptions; billing?: BillingSubgraphOptions; detailing?: DetailingSubgraphOptions; payments?: PaymentsWiring } = {},
): Record<SubgraphName, SubgraphDefinition> {
  return {
    identity: createIdentitySubgraph({
      signingKey: loadOrCreateSigningKey(join(platformDataDir, 'identity-jwt.pem')),
      ...identityOptions,
    }),
    catalog: createCatalogSubgraph(others.catalog),
    billing: createBillingSubgraph({
      ...(others.billing ?? {}),
      ...(others.payments ? { payments: defaultPaymentsSettings(others.payments.provider, others.payments.settings) } : {}),
    }),
    detailing: createDetailingSubgraph(others.detailing),
    delegation: createDelegationSubgraph(others.delegation),
  };
}

/** The per-subgraph options a system was started with. */
export function subgraphOptionsOf(options: Pick<SystemOptions, 'delegation' | 'catalog' | 'billing' | 'detailing'>): Parameters<typeof subgraphDefinitions>[2] {
  return {
    ...(options.detailing ? { detailing: options.detailing } : {}),
    ...(options.delegation ? { delegation: options.delegation } : {}),
    ...(options.catalog ? { catalog: options.catalog } : {}),
    ...(options.billing ? { billing: options.billing } : {}),
  };
}

/**
 * The embedded default: the gateway and all five subgraphs in one process, each subgraph with its own
 * SQLite file, an in-process event bus, the development SMS centre and mail server. Needs only Node and npm.
 */
export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const dataDir = resolve(options.dataDir ?? join(process.cwd(), 'data'));
  const logger: Logger = createLogger('system', options.logLevel);
  const loggerFor = (name: string) => createLogger(name, options.logLevel);
  const smsSecret = randomBytes(24).toString('hex');
  const directory = new ServiceDirectory();
  const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 900;
  const smsCentre = new DevSmsCentre(smsSecret, () => `${directory.url('gateway')}/sms/inbound`);
  const mail = new DevMailSink();
  const mailPort = await mail.start(0);

  const platform: PlatformServices = {
    mode: 'all-in-one',
    production: false,
    bus: new InProcessEventBus(),
    revocations: new MemoryRevocationStore(accessTokenTtlSeconds * 1000),
    // The gateway may come up after the first SMS is queued: the address is looked up per message, and the relay retries.
    sms: { send: (message) => new HttpSmsCentreTransport(`${directory.url('gateway')}/dev/sms-centre`, smsSecret).send(message) },
    // The development SMS centre signs the texts sent to 4259 with it too (POST /dev/sms/inbound).
    smsCentreSecret: smsSecret,
    email: new SmtpEmailTransport(`smtp://127.0.0.1:${mailPort}`, 'Beeline <no-reply@beeline.kz>'),
    directory,
    internalToken: randomBytes(24).toString('hex'),
    clock: options.clock ?? systemClock,
    tokenIssuer: 'selfcare-identity',
    accessTokenTtlSeconds,
    publicUrl: 'http://127.0.0.1:4000',
    relayPollMs: options.relayPollMs ?? 200,
    ...(options.limits ? { operationLimits: options.limits } : {}),
    ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
    ...(options.feedSafetyPollMs ? { feedSafetyPollMs: options.feedSafetyPollMs } : {}),
  };

  // The sandbox card provider answers on the gateway's port and sends its webhooks there (forwarded to billing).
  const external = options.cardProvider && 'url' in options.cardProvider ? options.cardProvider : null;
  const providerSecret = external?.secret ?? randomBytes(24).toString('hex');
  const cardProvider = external
    ? null
    : new SandboxCardProvider({
        secret: providerSecret,
        webhookUrl: () => (directory.has('gateway') ? `${directory.url('gateway')}${WEBHOOK_PATH}` : null),
        publicUrl: () => directory.url('gateway'),
        ...(options.cardProvider && 'sandbox' in options.cardProvider ? options.cardProvider.sandbox : {}),
      });
  const payments: PaymentsWiring = {
    settings: options.payments ?? {},
    provider: { url: external ? () => external.url : () => directory.url('gateway'), secret: providerSecret },
  };
  const definitions = subgraphDefinitions(dataDir, options.identity, { ...subgraphOptionsOf(options), payments });
  const subgraphs = {} as Record<SubgraphName, RunningSubgraph>;
  const started: RunningService[] = [];
  let gateway: RunningService | null = null;
  const stopAll = async () => {
    const services = started.splice(0).reverse();
    // The gateway (started last) first: no new requests. Then every relay, before any consumer stops: the
    // in-process bus holds events in memory only, so what a relay published after a consumer group stopped would
    // be marked published yet never reach that group. Rows written from now on wait in the outbox for the next start.
    if (services[0] && services[0] === gateway) await services.shift()!.stop();
    for (const service of services) await (service as Partial<RunningSubgraph>).stopRelay?.();
    for (const service of services) await service.stop();
    cardProvider?.stop();
    await platform.bus.close();
    await platform.revocations.close();
    await platform.email.close?.();
    await mail.stop();
  };
  try {
    for (const name of SUBGRAPH_NAMES) {
      const running = await runSubgraph(definitions[name], platform, {
        port: options.subgraphPorts?.[name] ?? DEFAULT_PORTS[name],
        host: options.subgraphHosts?.[name] ?? '127.0.0.1',
        databaseUrl: options.databaseUrls?.[name] ?? `sqlite:${join(dataDir, `${name}.sqlite`)}`,
        migrateOnOpen: true,
        seedDemoData: options.seedDemoData ?? true,
        logger: loggerFor(name),
        deferBackground: true,
      });
      subgraphs[name] = running;
      started.push(running);
    }

    // Every consumer is subscribed now: the relays may publish.
    for (const name of SUBGRAPH_NAMES) await subgraphs[name].startBackground();

    if (!options.withoutGateway) {
      gateway = await startGateway({
        port: options.gatewayPort ?? DEFAULT_PORTS.gateway,
        host: options.host ?? '127.0.0.1',
        ...(options.limits ? { limits: options.limits } : {}),
        ...(options.timeouts ? { timeouts: options.timeouts } : {}),
        ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
        ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
        ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
        supergraphSdl: options.supergraphSdl ?? readSupergraph(),
        subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, subgraphs[name].graphqlUrl])) as Record<SubgraphName, string>,
        production: false,
        logger: loggerFor('gateway'),
        internalToken: platform.internalToken,
        verifier: new AccessTokenVerifier(httpJwksSource(`${subgraphs.identity.url}/.well-known/jwks.json`), platform.revocations, platform.tokenIssuer),
        routes: (app) => {
          smsCentre.mount(app);
          mail.mount(app);
          cardProvider?.mount(app);
        },
        ...(options.subscriptions ? { subscriptions: options.subscriptions } : {}),
      });
      started.push(gateway);
      directory.set('gateway', gateway.url);
      platform.publicUrl = gateway.url;
    }
    logger.debug('system started');
    return {
      gatewayUrl: gateway?.url ?? '',
      graphqlUrl: gateway?.graphqlUrl ?? '',
      gateway,
      subgraphs,
      platform,
      smsCentre,
      mail,
      cardProvider,
      payments,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
