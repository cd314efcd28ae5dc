import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import cors from 'cors';
import { ApolloServer, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, GraphQLSchema } from 'graphql';
import { createErrorFormatter } from '../errors/format-error';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { currentLanguage, currentRequest, runInRequest } from './request-store';
import { languageFromHeader } from '../i18n/language';
import type { Logger } from '../logging/logger';
import { ServiceMetrics, rootFieldLabel } from '../metrics/metrics';
import type { TrustProxySetting } from '../config/config';
import type { OperationLimits } from '../graphql/operation-limits';
import { INTERNAL_TOKEN_HEADER, internalTokenMatches } from '../service/internal-http';
import type { WebSocketEndpoint } from './websocket';

export interface HealthCheck {
  name: string;
  check: () => Promise<void>;
}

export interface GraphQLServiceOptions<TContext extends BaseContext> {
  name: string;
  port: number;
  host?: string;
  schema?: GraphQLSchema;
  /** For the gateway, which brings its own ApolloServer configuration. */
  apolloConfig?: Omit<ConstructorParameters<typeof ApolloServer<TContext>>[0], 'plugins' | 'formatError'> & { plugins?: ApolloServerPlugin<TContext>[] };
  logger: Logger;
  metrics: ServiceMetrics;
  buildContext: (req: Request) => Promise<TContext>;
  readiness?: HealthCheck[];
  /** Extra HTTP routes mounted before /graphql (JWKS, internal APIs, dev sinks…). */
  routes?: (app: Express) => void;
  /** Run on shutdown after the HTTP server stopped taking requests (relay, DB…), in order. */
  onShutdown?: (() => Promise<void>)[];
  production?: boolean;
  introspection?: boolean;
  landingPage?: ApolloServerPlugin<TContext>;
  /** Largest JSON body accepted, e.g. '100kb'. */
  bodyLimit?: string;
  /** graphql-ws on the same port and path, for services with subscriptions. */
  websocket?: (httpServer: http.Server, formatError: ReturnType<typeof createErrorFormatter>) => WebSocketEndpoint;
  /**
   * What /metrics requires, as `Authorization: Bearer <token>` (Prometheus' scrape credentials) or the internal-token
   * header. Without one, /metrics answers nobody.
   */
  metricsToken?: string;
  /** Subgraphs: /graphql answers only callers holding this internal token (the gateway, the platform's own tools). */
  requireInternalToken?: string;
  /** Request limits applied before Apollo validates, plans or executes an operation. */
  operationLimits?: OperationLimits;
  /** The schema the limits measure against; default `schema` (the gateway passes its API schema once loaded). */
  limitsSchema?: () => GraphQLSchema | undefined;
  /** Express `trust proxy`: whose X-Forwarded-For names the client. Default: nobody's. */
  trustProxy?: TrustProxySetting;
  /** Browser origins allowed to call /graphql from their own pages (CORS); default none. */
  corsOrigins?: readonly string[];
}

export interface RunningService {
  name: string;
  port: number;
  url: string;
  graphqlUrl: string;
  httpServer: http.Server;
  /** Requests being answered right now. */
  inFlight: () => number;
  stop: () => Promise<void>;
}

/** Where the service itself is reached when it listens on `host` (every interface: loopback). */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Request id (X-Request-Id, or a new one), language, and the request scope for logs and error texts. */
export function requestScopeMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.header('x-request-id');
  const requestId = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', requestId);
  runInRequest({ requestId, language: languageFromHeader(req.header('accept-language')) }, next);
}

/** Operations still executing, whether or not their client is still connected. */
class OperationTracker {
  private active = 0;
  private waiters: (() => void)[] = [];
  start(): void {
    this.active += 1;
  }
  finish(): void {
    this.active -= 1;
    if (this.active === 0) for (const wake of this.waiters.splice(0)) wake();
  }
  get count(): number {
    return this.active;
  }
  /** Resolves when no operation runs, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function metricsPlugin<T extends BaseContext>(metrics: ServiceMetrics, tracker: OperationTracker): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      tracker.start();
      return {
        async willSendResponse(requestContext) {
          tracker.finish();
          // Not the operation's name: the client picks that, and each new one would be a new series.
          const rootField = rootFieldLabel(requestContext.operation);
          const type = requestContext.operation?.operation ?? 'unknown';
          const outcome = requestContext.errors?.length ? 'error' : 'ok';
          metrics.operations.inc({ root_field: rootField, type, outcome });
          metrics.operationDuration.observe({ root_field: rootField, type }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}

type ErrorFormatter = ReturnType<typeof createErrorFormatter>;

function refuse(res: Response, status: number, errors: GraphQLError[], formatError: ErrorFormatter): void {
  res.status(status).json({ errors: errors.map((error) => formatError(error.toJSON(), error)) });
}

function jsonObject(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * The request limits on the way in, before Apollo parses and validates: graphql-js's validation is quadratic in
 * repeated fields, so bounding the document afterwards would come too late. Requests without a query text
 * (a persisted-query hash) are checked by `persistedLimitsPlugin` once Apollo found the stored document.
 */
function limitsMiddleware(limits: OperationLimits, schemaOf: () => GraphQLSchema | undefined, metrics: ServiceMetrics, formatError: ErrorFormatter): RequestHandler {
  return (req, res, next) => {
    const body = req.method === 'GET' ? (req.query as Record<string, unknown>) : jsonObject(req.body);
    const source = body?.query;
    if (typeof source !== 'string') {
      next();
      return;
    }
    const refused = (errors: GraphQLError[]) => {
      for (const error of errors) metrics.refusedOperations.inc({ limit: String(error.extensions.limit ?? 'unknown') });
      refuse(res, 400, errors, formatError);
    };
    let document;
    try {
      document = limits.parse(source);
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.limit) {
        refused([error]);
        return;
      }
      next(); // a syntax error: Apollo reports it as usual
      return;
    }
    const schema = schemaOf();
    if (schema) {
      const operationName = typeof body?.operationName === 'string' ? body.operationName : undefined;
      const errors = limits.validate(schema, document, jsonObject(body?.variables) ?? {}, operationName);
      if (errors.length) {
        refused([...errors]);
        return;
      }
    }
    next();
  };
}

/** The same limits for an operation sent as a persisted-query hash: its document comes from Apollo's store. */
function persistedLimitsPlugin<T extends BaseContext>(limits: OperationLimits, schemaOf: () => GraphQLSchema | undefined, metrics: ServiceMetrics): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, metrics: requestMetrics }) {
          const schema = schemaOf();
          if (!requestMetrics.persistedQueryHit || !schema) return;
          const errors = limits.validate(schema, document, request.variables ?? {}, request.operationName);
          for (const error of errors) metrics.refusedOperations.inc({ limit: String(error.extensions.limit ?? 'unknown') });
          if (errors[0]) throw errors[0];
        },
      };
    },
  };
}

/** Subgraphs answer GraphQL only to the platform's own callers: the gateway sends the internal token. */
function internalOnly(token: string, formatError: ErrorFormatter): RequestHandler {
  return (req, res, next) => {
    if (internalTokenMatches(req.header(INTERNAL_TOKEN_HEADER), token)) {
      next();
      return;
    }
    const error = new DomainError(ErrorCode.FORBIDDEN, { extensions: { reason: 'INTERNAL_TOKEN_REQUIRED' } });
    refuse(res, 403, [new GraphQLError(error.code, { originalError: error })], formatError);
  };
}

function metricsAllowed(req: Request, token: string | undefined): boolean {
  if (!token) return false;
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
  return internalTokenMatches(bearer ?? req.header(INTERNAL_TOKEN_HEADER), token);
}

/**
 * CORS for the configured browser origins. A preflight from any other origin is refused outright (403, no CORS
 * headers), rather than falling through to /graphql as a bad request.
 */
function corsFor(origins: readonly string[]): RequestHandler[] {
  const allowed = new Set(origins);
  return [
    (req, res, next) => {
      const origin = req.header('origin');
      if (req.method === 'OPTIONS' && (origin === undefined || !allowed.has(origin))) {
        res.status(403).json({ error: 'origin not allowed (CORS_ORIGINS)' });
        return;
      }
      next();
    },
    cors({
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'POST'],
      exposedHeaders: ['x-request-id'],
      maxAge: 600,
    }),
  ];
}

/**
 * An HTTP service with GraphQL at /graphql, /healthz (alive), /readyz (dependencies answer), /metrics
 * (Prometheus) and graceful shutdown: stop taking requests, drain the open ones, then close what it owns.
 */
export async function startGraphQLService<TContext extends BaseContext>(options: GraphQLServiceOptions<TContext>): Promise<RunningService> {
  const app = express();
  app.disable('x-powered-by');
  // Who the client is (req.ip: rate limits, lock-outs): the TCP peer unless configured proxies are in front.
  app.set('trust proxy', options.trustProxy ?? false);
  const httpServer = http.createServer(app);
  let shuttingDown = false;

  let inFlight = 0;
  const operations = new OperationTracker();
  app.use(requestScopeMiddleware);
  app.use((req, res, next) => {
    inFlight += 1;
    options.metrics.inFlight.inc();
    res.on('close', () => {
      inFlight -= 1;
      options.metrics.inFlight.dec();
    });
    res.on('finish', () => {
      const route = req.route?.path ?? (req.path.startsWith('/graphql') ? '/graphql' : 'other');
      options.metrics.httpRequests.inc({ method: req.method, route: String(route), status: String(res.statusCode) });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.status(shuttingDown ? 503 : 200).json({ status: shuttingDown ? 'stopping' : 'ok', service: options.name });
  });
  app.get('/readyz', async (_req, res) => {
    if (shuttingDown) {
      res.status(503).json({ status: 'stopping', service: options.name });
      return;
    }
    const results: Record<string, string> = {};
    let ready = true;
    for (const check of options.readiness ?? []) {
      try {
        await check.check();
        results[check.name] = 'ok';
      } catch (error) {
        ready = false;
        results[check.name] = error instanceof Error ? error.message : 'failed';
      }
    }
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', service: options.name, checks: results });
  });
  app.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req, options.metricsToken)) {
      res.status(401).json({ error: 'metrics: send Authorization: Bearer <METRICS_TOKEN>' });
      return;
    }
    res.setHeader('content-type', options.metrics.registry.contentType);
    res.send(await options.metrics.registry.metrics());
  });

  options.routes?.(app);

  const plugins: ApolloServerPlugin<TContext>[] = [
    ApolloServerPluginDrainHttpServer({ httpServer }),
    metricsPlugin<TContext>(options.metrics, operations),
    options.landingPage ?? ApolloServerPluginLandingPageDisabled(),
    // Subgraphs: no federated trace payload in every response (the gateway reports no usage to Apollo).
    ...(options.schema ? [ApolloServerPluginInlineTraceDisabled()] : []),
    ...(options.apolloConfig?.plugins ?? []),
  ];
  const production = options.production ?? false;
  const formatError = createErrorFormatter(options.logger, currentLanguage);
  const limitsSchema = options.limitsSchema ?? (() => options.schema);
  if (options.operationLimits) plugins.push(persistedLimitsPlugin<TContext>(options.operationLimits, limitsSchema, options.metrics));
  const websocket = options.websocket?.(httpServer, formatError);
  const apolloBase = {
    ...(options.apolloConfig ?? {}),
    plugins,
    csrfPrevention: true,
    introspection: options.introspection ?? !production,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: production,
    formatError,
  };
  const apollo = options.schema
    ? new ApolloServer<TContext>({ ...apolloBase, schema: options.schema } as ConstructorParameters<typeof ApolloServer<TContext>>[0])
    : new ApolloServer<TContext>(apolloBase as ConstructorParameters<typeof ApolloServer<TContext>>[0]);
  await apollo.start();

  app.use(
    '/graphql',
    ...(options.corsOrigins ? corsFor(options.corsOrigins) : []),
    ...(options.requireInternalToken ? [internalOnly(options.requireInternalToken, formatError)] : []),
    express.json({ limit: options.bodyLimit ?? '100kb' }),
    ...(options.operationLimits ? [limitsMiddleware(options.operationLimits, limitsSchema, options.metrics, formatError)] : []),
    expressMiddleware(apollo, { context: async ({ req }) => options.buildContext(req) }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // Malformed JSON and other request errors answer 400 with a contract code, never a stack trace.
  app.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) options.logger.error({ err: error }, 'unhandled HTTP error');
    res.status(status).json({
      errors: [
        {
          message: status === 500 ? 'Internal error' : error.type === 'entity.too.large' ? 'Request body too large' : 'Malformed request',
          extensions: { code: status === 500 ? 'INTERNAL' : 'BAD_USER_INPUT', requestId: currentRequest()?.requestId },
        },
      ],
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${reachableHost(options.host ?? '127.0.0.1')}:${port}`;
  options.logger.info({ port }, `${options.name} listening`);

  let stopping: Promise<void> | null = null;
  return {
    name: options.name,
    port,
    url,
    graphqlUrl: `${url}/graphql`,
    httpServer,
    inFlight: () => inFlight,
    stop: () =>
      (stopping ??= (async () => {
        shuttingDown = true;
        // Subscribers are told to go (1001) first: graphql-ws clients reconnect and resume with their cursor.
        await websocket?.dispose();
        await apollo.stop();
        // A client that hung up leaves its operation running: let it finish before the database closes.
        await operations.idle(10_000);
        for (const hook of options.onShutdown ?? []) {
          try {
            await hook();
          } catch (error) {
            options.logger.error({ err: error }, 'shutdown step failed');
          }
        }
        options.logger.info(`${options.name} stopped`);
      })()),
  };
}
