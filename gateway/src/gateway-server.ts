import { ApolloGateway, GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express, { Express, Request } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { serveGatewaySubscriptions } from './subscriptions';
import type { SubscriptionSettings } from './subscription-settings';
import { GatewayContext, callerLabel, gatewayContext } from './context';
import { DEFAULT_GATEWAY_TIMEOUTS, GatewayTimeouts, createGatewayLimits } from './limits';
import { BufferedResponse, DEFAULT_PERF_LEVERS, PerfLevers, subgraphRequest } from './perf/subgraph-http';
import { cachedLimits } from './perf/limits-cache';

export type { GatewayContext } from './context';
import { GraphQLError, GraphQLFormattedError, Kind, SelectionNode, parse } from 'graphql';
import {
  AccessTokenVerifier,
  DEFAULT_OPERATION_LIMITS,
  CachedTokenVerifier,
  DomainError,
  ErrorCode,
  Logger,
  OperationLimitSettings,
  RunningService,
  INTERNAL_TOKEN_HEADER,
  ServiceMetrics,
  TrustProxySetting,
  currentRequest,
  languageFromHeader,
  startGraphQLService,
} from '@selfcare/shared';

export type SubgraphName = 'identity' | 'catalog' | 'billing' | 'detailing' | 'delegation';

export interface GatewayOptions {
  port: number;
  host?: string;
  supergraphSdl: string;
  /** GraphQL endpoint of each subgraph (…/graphql); overrides the URLs written in the supergraph. */
  subgraphUrls: Record<SubgraphName, string>;
  production: boolean;
  logger: Logger;
  verifier: AccessTokenVerifier;
  /** Shared secret of the services' internal calls: lets subgraphs trust the client address the gateway forwards. */
  internalToken: string;
  /** Request limits (GRAPHQL_*); default the kit's. */
  limits?: OperationLimitSettings;
  /** Time budget of an operation and of each subgraph call (OPERATION_TIMEOUT_MS, SUBGRAPH_TIMEOUT_MS). */
  timeouts?: GatewayTimeouts;
  /** TRUST_PROXY: whose X-Forwarded-For names the client; default nobody's. */
  trustProxy?: TrustProxySetting;
  /** CORS_ORIGINS: browser origins allowed to call /graphql; default none. */
  corsOrigins?: readonly string[];
  /** METRICS_TOKEN: bearer token of /metrics; default the internal token. */
  metricsToken?: string;
  /** Extra routes (dev sinks in the embedded default). */
  routes?: (app: Express) => void;
  onShutdown?: (() => Promise<void>)[];
  /** Websocket caps and resumption (defaults in subscription-settings.ts). */
  subscriptions?: Partial<SubscriptionSettings>;
  /** The per-request savings of gateway/src/perf, all on by default (the benchmark turns them off one by one). */
  perf?: Partial<PerfLevers>;
}

/** The gateway's own bookkeeping on a subgraph call; read and removed by the fetcher, never sent. */
const DEADLINE_HEADER = 'x-selfcare-deadline';
const RETRY_SAFE_HEADER = 'x-selfcare-retry-safe';

/** A subgraph answer is read at most this far: the cost budget keeps legitimate ones far below it. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Error answers are short (the error formatter caps every text); a longer one is not read to its end. */
const MAX_ERROR_BYTES = 256 * 1024;

type Unavailability = 'timeout' | 'unreachable' | 'response too large' | 'bad response' | 'internal token refused';

class SubgraphUnavailable extends Error {
  constructor(readonly reason: Unavailability, readonly status?: number) {
    super(`subgraph ${reason}${status ? ` (${status})` : ''}`);
  }
}

type FetcherResponse = Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0];
type FetcherInit = NonNullable<Parameters<RemoteGraphQLDataSource['fetcher']>[1]>;
type ProcessResult = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** Reads a body once, to at most `maxBytes` (a clone() of node-fetch's body stalled past 64 KiB: the gateway never answered). */
async function readBounded(response: FetcherResponse, maxBytes: number): Promise<string> {
  // Read already, bounded, by the keep-alive client (perf/subgraph-http.ts).
  if (response instanceof BufferedResponse) {
    if (response.text === null || Buffer.byteLength(response.text) > maxBytes) throw new SubgraphUnavailable('response too large');
    return response.text;
  }
  const declared = Number(response.headers.get('content-length'));
  const body = (response as unknown as Response).body;
  if (declared > maxBytes) {
    await body?.cancel().catch(() => undefined);
    throw new SubgraphUnavailable('response too large');
  }
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new SubgraphUnavailable('response too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A keep-alive connection the subgraph closed while idle fails the next request at once, before any answer. */
function isStaleConnection(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } })?.cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED';
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown })?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

/**
 * Calls one subgraph for the gateway's plan: carries the caller's token, language, address and the request id;
 * keeps every call within the operation's time budget; retries a query once on a stale keep-alive connection; reads
 * answers bounded; and turns a subgraph that is down, slow or garbled into SERVICE_UNAVAILABLE on its own fields.
 */
class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    config: { url: string },
    private readonly internalToken: string,
    private readonly serviceName: string,
    private readonly timeouts: GatewayTimeouts,
    private readonly logger: Logger,
    private readonly keepAliveClient = true,
  ) {
    super(config);
    this.fetcher = ((url: string, init?: FetcherInit) => this.send(url, init ?? {})) as RemoteGraphQLDataSource['fetcher'];
  }

  private async send(url: string, init: FetcherInit): Promise<FetcherResponse> {
    const { [DEADLINE_HEADER]: deadlineHeader, [RETRY_SAFE_HEADER]: retrySafe, ...headers } = init.headers ?? {};
    const deadline = Number(deadlineHeader) || Date.now() + this.timeouts.operationTimeoutMs;
    const attempt = async () => {
      const remaining = Math.min(this.timeouts.subgraphTimeoutMs, deadline - Date.now());
      if (remaining <= 0) throw new SubgraphUnavailable('timeout');
      if (!this.keepAliveClient) {
        return (await fetch(url, {
          method: init.method ?? 'POST',
          headers,
          ...(init.body === undefined ? {} : { body: init.body }),
          signal: AbortSignal.timeout(remaining),
        })) as unknown as FetcherResponse;
      }
      return (await subgraphRequest(url, {
        method: init.method ?? 'POST',
        headers: headers as Record<string, string>,
        ...(init.body === undefined ? {} : { body: String(init.body) }),
        signal: AbortSignal.timeout(remaining),
        maxBytes: MAX_RESPONSE_BYTES,
      })) as unknown as FetcherResponse;
    };
    try {
      return await attempt();
    } catch (error) {
      if (retrySafe !== '1' || !isStaleConnection(error)) throw error;
      this.logger.debug({ service: this.serviceName }, 'stale keep-alive connection; retrying once');
      return attempt();
    }
  }

  override async parseBody(response: FetcherResponse): Promise<object | string> {
    const text = await readBounded(response, MAX_RESPONSE_BYTES);
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('application/json') && !type.startsWith('application/graphql-response+json')) return text;
    try {
      return JSON.parse(text) as object;
    } catch {
      throw new SubgraphUnavailable('bad response', response.status);
    }
  }

  /**
   * A subgraph answers request errors (e.g. a PhoneNumber that fails to parse) with HTTP 400 and a GraphQL body
   * carrying the contract code; pass that on. The body is read once, bounded. What is returned is thrown by the
   * data source and lands in `process` below, so an unavailability may stand in for the GraphQLError.
   */
  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    let body: { errors?: { message?: unknown; extensions?: Record<string, unknown> }[] } | undefined;
    try {
      body = JSON.parse(await readBounded(response, MAX_ERROR_BYTES)) as typeof body;
    } catch (error) {
      if (isTimeout(error)) throw error;
      // too large or not JSON: the generic answer below
    }
    const first = body?.errors?.[0];
    if (typeof first?.message === 'string' && typeof first.extensions?.code === 'string') {
      if (first.extensions.reason === 'INTERNAL_TOKEN_REQUIRED') {
        this.logger.error({ service: this.serviceName }, 'the subgraph refused the internal token: INTERNAL_API_TOKEN differs between gateway and subgraph');
        return new SubgraphUnavailable('internal token refused', response.status) as unknown as GraphQLError;
      }
      // Tagged like every other subgraph error, so the gateway's formatter keeps the subgraph's text and detail.
      return new GraphQLError(first.message, { extensions: { serviceName: this.serviceName, ...first.extensions } });
    }
    return new SubgraphUnavailable('bad response', response.status) as unknown as GraphQLError;
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<ProcessResult> {
    try {
      return await super.process(options);
    } catch (error) {
      const failure = this.failure(error, options.context as Partial<GatewayContext> | undefined);
      // The error on each field this call was to answer, so the client sees which parts are missing (the gateway
      // maps `_entities` paths onto the entities' places in the response); without paths it would float free.
      const paths = fieldPathsOf(options.request.query, options.request.variables);
      return { errors: paths.length ? paths.map((path) => ({ ...failure, path })) : [failure] };
    }
  }

  /** What the plan records for this call's fields; the other subgraphs' fields are answered as usual. */
  private failure(error: unknown, context: Partial<GatewayContext> | undefined): GraphQLFormattedError {
    if (error instanceof GraphQLError && typeof error.extensions.code === 'string' && error.extensions.code !== ErrorCode.INTERNAL) {
      return { message: error.message, extensions: { ...error.extensions } };
    }
    const reason: Unavailability =
      error instanceof SubgraphUnavailable ? error.reason : isTimeout(error) ? 'timeout' : error instanceof GraphQLError ? 'bad response' : 'unreachable';
    const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
    this.logger.warn({ service: this.serviceName, reason, detail: cause?.code ?? cause?.message ?? (error as Error)?.message }, 'subgraph call failed');
    const unavailable = new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { serviceName: this.serviceName, reason } });
    const language = languageFromHeader(context?.acceptLanguage);
    const formatted = unavailable.toGraphQLError(language);
    return { message: formatted.message, extensions: formatted.extensions };
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !context) return;
    const requestId = (context as Partial<GatewayContext>).requestId ?? currentRequest()?.requestId;
    if (requestId) headers.set('x-request-id', requestId);
    if (context.authorization) headers.set('authorization', context.authorization);
    if (context.acceptLanguage) headers.set('accept-language', context.acceptLanguage);
    if (context.clientAddress) headers.set('x-client-address', context.clientAddress);
    headers.set(INTERNAL_TOKEN_HEADER, this.internalToken);
    if (context.userAgent) headers.set('user-agent', context.userAgent);
    if (context.deadline) headers.set(DEADLINE_HEADER, String(context.deadline));
    // A query changes nothing, so sending it again is safe; a mutation the subgraph may have started is not retried.
    if (!/^\s*mutation\b/.test(request.query ?? '')) headers.set(RETRY_SAFE_HEADER, '1');
  }
}

/** At most this many error paths for one failed call (a page of 500 entities would otherwise be 500 errors). */
const MAX_FAILURE_PATHS = 50;

/**
 * The response paths a subgraph call would have answered: each root field's response name, or for an entity
 * fetch `["_entities", i, field]` for each representation and each field selected on it.
 */
export function fieldPathsOf(query: string | undefined, variables: Record<string, unknown> | undefined): (string | number)[][] {
  if (!query) return [];
  let document;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return [];
  }
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return [];
  const fieldsOf = (selections: readonly SelectionNode[]): string[] =>
    selections.flatMap((s) => (s.kind === Kind.FIELD ? (s.name.value === '__typename' ? [] : [(s.alias ?? s.name).value]) : s.kind === Kind.INLINE_FRAGMENT ? fieldsOf(s.selectionSet.selections) : []));
  const paths: (string | number)[][] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.name.value === '__typename') continue;
    const name = (selection.alias ?? selection.name).value;
    if (selection.name.value !== '_entities') {
      paths.push([name]);
      continue;
    }
    const representations = Array.isArray(variables?.representations) ? variables.representations.length : 0;
    const fields = [...new Set(fieldsOf(selection.selectionSet?.selections ?? []))];
    for (let i = 0; i < representations && paths.length < MAX_FAILURE_PATHS; i += 1) for (const field of fields) paths.push([name, i, field]);
  }
  return paths.slice(0, MAX_FAILURE_PATHS);
}

/** Forwards a public HTTP path (links in e-mails, the SMS centre's webhook) to the service that owns it. */
export function forwardTo(targetBase: () => string, logger: Logger, internalToken: string) {
  return async (req: Request, res: express.Response): Promise<void> => {
    const target = `${targetBase()}${req.originalUrl}`;
    try {
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : (req.body as Buffer | undefined);
      const response = await fetch(target, {
        method: req.method,
        headers: {
          ...(req.header('content-type') ? { 'content-type': req.header('content-type')! } : {}),
          ...(req.header('x-signature') ? { 'x-signature': req.header('x-signature')! } : {}),
          ...(req.header('accept') ? { accept: req.header('accept')! } : {}),
          ...(req.header('accept-language') ? { 'accept-language': req.header('accept-language')! } : {}),
          'x-request-id': currentRequest()?.requestId ?? '',
          'x-client-address': req.ip ?? '',
          [INTERNAL_TOKEN_HEADER]: internalToken,
        },
        ...(body && body.length ? { body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      res.status(response.status);
      for (const header of ['content-type', 'location', 'cache-control']) {
        const value = response.headers.get(header);
        if (value) res.setHeader(header, value);
      }
      res.send(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      logger.warn({ err: error, target }, 'forwarding failed');
      res.status(503).json({ error: 'service unavailable', code: 'SERVICE_UNAVAILABLE' });
    }
  };
}

/**
 * A GET passed on to a subgraph and its answer streamed back as it comes (a statement's file may be large: never
 * buffered whole here). Only the signed query goes on; the client's headers other than Accept-Language do not.
 */
export function streamFrom(targetBase: () => string, logger: Logger) {
  return async (req: Request, res: express.Response): Promise<void> => {
    const target = `${targetBase()}${req.originalUrl}`;
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      const response = await fetch(target, {
        headers: {
          ...(req.header('accept-language') ? { 'accept-language': req.header('accept-language')! } : {}),
          'x-request-id': currentRequest()?.requestId ?? '',
        },
        redirect: 'manual',
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(10_000)]),
      });
      res.status(response.status);
      for (const header of ['content-type', 'content-length', 'content-disposition', 'cache-control', 'x-content-type-options']) {
        const value = response.headers.get(header);
        if (value) res.setHeader(header, value);
      }
      if (!response.body) {
        res.end();
        return;
      }
      // The timeout bounds the wait for the answer's start; the body then flows with the client's pace.
      await pipeline(Readable.fromWeb(response.body as WebReadableStream), res);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      logger.warn({ err: error, target }, 'forwarding failed');
      res.status(503).json({ error: 'service unavailable', code: 'SERVICE_UNAVAILABLE' });
    }
  };
}

/**
 * The public entry: Apollo Server + Apollo Gateway over the checked-in supergraph. Sandbox outside production,
 * no landing page, introspection or field suggestions in production; CSRF prevention on.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningService> {
  const metrics = new ServiceMetrics('gateway');
  const timeouts = options.timeouts ?? DEFAULT_GATEWAY_TIMEOUTS;
  // Measured once per operation text and variables (perf/limits-cache.ts).
  const levers = { ...DEFAULT_PERF_LEVERS, ...options.perf };
  const gatewayLimits = createGatewayLimits(options.limits ?? DEFAULT_OPERATION_LIMITS);
  const limits = levers.limitsCache ? cachedLimits(gatewayLimits) : gatewayLimits;
  // One signature check per token while it lives; revocations are still read on every request (CachedTokenVerifier).
  const verifier = levers.tokenCache ? new CachedTokenVerifier(options.verifier) : options.verifier;
  const callers = metrics.counter('gateway_operations_by_caller_total', 'Operations by caller kind (subscriber, staff, anonymous, refused:<code>)', ['caller', 'outcome']);
  const dataSource = (name: string) => {
    const url = options.subgraphUrls[name as SubgraphName];
    if (!url) throw new Error(`the supergraph names a subgraph "${name}" with no configured URL`);
    return new SubgraphDataSource({ url }, options.internalToken, name, timeouts, options.logger, levers.keepAliveClient);
  };
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name }) => dataSource(name),
  });

  const raw = express.raw({ type: () => true, limit: '100kb' });
  return startGraphQLService<GatewayContext>({
    name: 'gateway',
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    apolloConfig: {
      gateway,
      plugins: [
        {
          /**
           * Apollo leaves an operation it cannot pick (unknown operationName, several anonymous ones) to the executor,
           * and ApolloGateway's executor throws there — a 500 for a bad request. Subscriptions have no HTTP transport.
           */
          async requestDidStart() {
            return {
              async didResolveOperation({ operation, request, document }) {
                if (!operation) {
                  const named = document?.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length ?? 0;
                  throw new GraphQLError(
                    request.operationName
                      ? `Unknown operation named "${request.operationName}".`
                      : named > 1
                        ? 'Must provide operation name if query contains multiple operations.'
                        : 'Must provide an operation.',
                    { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } },
                  );
                }
                if (operation.operation === 'subscription') {
                  throw new GraphQLError('Subscriptions are served over websockets (graphql-ws) on this path, not over HTTP', {
                    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
                  });
                }
              },
            };
          },
        },
        {
          // Traffic by caller kind, and each operation's caller in the debug log: what the gateway's own token check is for.
          async requestDidStart() {
            return {
              async willSendResponse({ contextValue, operationName, errors }) {
                const caller = callerLabel(contextValue);
                callers.inc({ caller, outcome: errors?.length ? 'error' : 'ok' });
                options.logger.debug(
                  { caller, subject: contextValue.caller?.kind === 'staff' ? contextValue.caller.staffId : contextValue.caller?.subscriberId, operationName },
                  'operation',
                );
              },
            };
          },
        },
      ],
    },
    logger: options.logger,
    metrics,
    metricsToken: options.metricsToken ?? options.internalToken,
    operationLimits: limits,
    limitsSchema: () => gateway.schema,
    trustProxy: options.trustProxy ?? false,
    corsOrigins: options.corsOrigins ?? [],
    production: options.production,
    introspection: !options.production,
    landingPage: options.production
      ? undefined
      : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    readiness: Object.entries(options.subgraphUrls).map(([name, url]) => ({
      name,
      check: async () => {
        const response = await fetch(url.replace(/\/graphql$/, '/readyz'), { signal: AbortSignal.timeout(2000) });
        if (!response.ok) throw new Error(`answered ${response.status}`);
      },
    })),
    routes: (app) => {
      const base = (name: SubgraphName) => () => options.subgraphUrls[name].replace(/\/graphql$/, '');
      // terms 6.4 unsubscribe and e-mail verification links point at the public host; identity owns them.
      app.all('/links/{*rest}', raw, forwardTo(base('identity'), options.logger, options.internalToken));
      // terms 5.6.4: the SMS centre delivers the owner's inbound SMS to 4259 here, for delegation to check (not built there yet: 404).
      app.post('/sms/inbound', raw, forwardTo(base('delegation'), options.logger, options.internalToken));
      // terms 2.1: the card provider's signed webhooks (payment outcomes); billing checks the signature.
      app.post('/payments/webhook', raw, forwardTo(base('billing'), options.logger, options.internalToken));
      // terms 2.1: statements' signed download links; detailing checks the signature and streams the file.
      app.get('/statements/:id', streamFrom(base('detailing'), options.logger));
      options.routes?.(app);
    },
    onShutdown: options.onShutdown ?? [],
    websocket: (httpServer) =>
      serveGatewaySubscriptions({
        httpServer,
        supergraphSdl: options.supergraphSdl,
        subgraphUrls: options.subgraphUrls,
        dataSource,
        verifier,
        logger: options.logger,
        production: options.production,
        internalToken: options.internalToken,
        limits,
        ...(options.subscriptions ? { settings: options.subscriptions } : {}),
        metrics,
      }),
    buildContext: (req) =>
      gatewayContext(verifier, {
        requestId: currentRequest()?.requestId ?? 'unknown',
        authorization: req.header('authorization') ?? null,
        acceptLanguage: req.header('accept-language') ?? null,
        clientAddress: req.ip ?? 'unknown',
        userAgent: req.header('user-agent') ?? null,
        // The operation's time budget runs from its arrival; every subgraph call of its plan must end by then.
        deadline: Date.now() + timeouts.operationTimeoutMs,
      }),
  });
}
