import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { GraphQLDataSource } from '@apollo/gateway';
import { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLError, GraphQLFormattedError, getOperationAST, getVariableValues, parse, validate } from 'graphql';
import { Gauge } from 'prom-client';
import WebSocket, { WebSocketServer } from 'ws';
import { Caller, DocumentCache, DomainError, ErrorCode, Logger, ServiceMetrics, createErrorFormatter, currentLanguage, languageFromHeader, runInRequest } from '@selfcare/shared';
import type { SubgraphName } from './gateway-server';
import type { OperationLimits } from '@selfcare/shared';
import type { TokenVerifier } from '@selfcare/shared';
import { GatewayContext, gatewayContext } from './context';
import { LiveSubscription, contractError } from './live-subscription';
import { SocketRefusal, SocketSlot, SubscriptionCaps, SubscriptionRefusal } from './subscription-caps';
import { SubscriptionExecutor, SubscriptionExecutorError } from './subscription-executor';
import { DEFAULT_SUBSCRIPTION_SETTINGS, SubscriptionSettings } from './subscription-settings';
import { UpstreamConnection } from './upstream';

// graphql-ws 6 publishes its ws adapter only through package exports (see shared/src/http/websocket.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/dist/use/ws');

/**
 * Without the operation limits, a document of this many tokens at most: graphql-js's validation of repeated fields
 * grows with the square of their number (a 100 KB document of one field repeated blocks the event loop ~20 s).
 * A real subscription document is a few hundred tokens.
 */
const FALLBACK_MAX_TOKENS = 1000;

/** Close code of a socket refused by a cap (graphql-ws's 4429: the client does not retry it); the reason names the code. */
export const SOCKET_REFUSED = 4429;

/** Room left in a subgraph message for what the gateway adds to the client's (the caller's extensions, the resume cursor). */
const UPSTREAM_MESSAGE_MARGIN = 4 * 1024;

export interface GatewaySubscriptionsOptions {
  httpServer: http.Server;
  /** The supergraph the gateway serves: plans are built from it. */
  supergraphSdl: string;
  subgraphUrls: Record<SubgraphName, string>;
  /** The data source the gateway uses for a subgraph (forwards the caller's token, language, address, request id). */
  dataSource: (name: SubgraphName) => GraphQLDataSource;
  verifier: TokenVerifier;
  logger: Logger;
  /** No field suggestions ("Did you mean …?") in errors, as over HTTP. */
  production?: boolean;
  /** Authenticates the gateway's connections to the subgraphs. */
  internalToken: string;
  /** The HTTP path's operation limits, applied to subscriptions too. */
  limits?: OperationLimits;
  settings?: Partial<SubscriptionSettings>;
  metrics?: ServiceMetrics;
}

interface SocketExtra {
  socket: WebSocket;
  request: http.IncomingMessage;
  gatewayContext?: GatewayContext;
}

/**
 * Subscriptions at the gateway (graphql-ws on /graphql). @apollo/gateway plans subscriptions but does not execute
 * them; this does, through its package-root exports: the plan's primary fetch runs as a subscription on the owning
 * subgraph — over one shared connection per subgraph, the caller in each subscription's `extensions` — and for each
 * event the rest of the plan (fields of other subgraphs) runs through `executeQueryPlan`.
 *
 * Caps (per gateway process): message size as the HTTP body limit; subscriptions per socket and per caller; sockets
 * per verified caller, and per client address while anonymous. A refused subscription gets a RATE_LIMITED error and
 * the socket's other subscriptions go on; a refused socket is closed with 4429 and a reason naming RATE_LIMITED.
 */
export function serveGatewaySubscriptions(options: GatewaySubscriptionsOptions): { dispose(): Promise<void> } {
  const settings: SubscriptionSettings = { ...DEFAULT_SUBSCRIPTION_SETTINGS, ...options.settings };
  const executor = SubscriptionExecutor.load(options.supergraphSdl, Object.keys(options.subgraphUrls));
  const schema = executor.schema;
  const formatError = createErrorFormatter(options.logger, currentLanguage);
  const caps = new SubscriptionCaps(settings);
  const upstreams = new Map<string, UpstreamConnection>();
  const services: Record<string, GraphQLDataSource> = Object.fromEntries(
    (Object.keys(options.subgraphUrls) as SubgraphName[]).map((name) => [name, options.dataSource(name)]),
  );
  const slots = new WeakMap<WebSocket, SocketSlot>();
  const refusals = options.metrics?.counter('gateway_ws_refused_total', 'Websocket sockets and subscriptions refused by a cap', ['cap']);
  if (options.metrics) {
    new Gauge({ name: 'gateway_ws_sockets', help: 'Open websocket sockets', registers: [options.metrics.registry], collect() { this.set(caps.counts.sockets); } });
    new Gauge({ name: 'gateway_ws_subscriptions', help: 'Open subscriptions', registers: [options.metrics.registry], collect() { this.set(caps.counts.subscriptions); } });
  }
  const documents = new DocumentCache();
  const parseOperation = options.limits ? (source: string) => options.limits!.parse(source) : (source: string) => parse(source, { maxTokens: FALLBACK_MAX_TOKENS });

  const upstreamFor = (name: string): UpstreamConnection | undefined => {
    let upstream = upstreams.get(name);
    const url = options.subgraphUrls[name as SubgraphName];
    if (!upstream && url) {
      upstream = new UpstreamConnection({
        name,
        url,
        internalToken: options.internalToken,
        logger: options.logger,
        retryDelayMs: settings.retryDelayMs,
        maxRetryDelayMs: settings.maxRetryDelayMs,
      });
      upstreams.set(name, upstream);
    }
    return upstream;
  };

  const wsServer = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: settings.maxPayloadBytes });
  // graphql-ws listens for errors with once(): a second one would be unhandled and end the process.
  wsServer.on('error', (error) => options.logger.warn({ err: error }, 'websocket server error'));
  // Registered before graphql-ws's own handler, so a refused socket is closed before anything else runs for it.
  wsServer.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    socket.on('error', (error) => options.logger.debug({ err: error }, 'websocket connection error'));
    const slot = caps.open(request.socket.remoteAddress ?? 'unknown');
    if (typeof slot === 'string') {
      refuseSocket(socket, slot);
      return;
    }
    slots.set(socket, slot);
    socket.once('close', () => caps.close(slot));
  });

  function refuseSocket(socket: WebSocket, cap: SocketRefusal): void {
    refusals?.inc({ cap });
    const max = cap === 'socketsPerCaller' ? settings.socketsPerCaller : settings.anonymousSocketsPerAddress;
    const who = cap === 'socketsPerCaller' ? 'this subscriber' : 'this address';
    socket.close(SOCKET_REFUSED, `RATE_LIMITED: too many sockets for ${who} (at most ${max})`);
  }

  function subscriptionRefusal(cap: SubscriptionRefusal, language: ReturnType<typeof languageFromHeader>): GraphQLError {
    refusals?.inc({ cap });
    const max = cap === 'subscriptionsPerSocket' ? settings.subscriptionsPerSocket : settings.subscriptionsPerCaller;
    const texts =
      cap === 'subscriptionsPerSocket'
        ? { KK: 'Бір қосылымда жазылым тым көп (ең көбі {max})', RU: 'Слишком много подписок в одном соединении (не более {max})', EN: 'Too many subscriptions on one socket (at most {max})' }
        : { KK: 'Абоненттің жазылымдары тым көп (ең көбі {max})', RU: 'Слишком много подписок у абонента (не более {max})', EN: 'Too many subscriptions for this subscriber (at most {max})' };
    return contractError(ErrorCode.RATE_LIMITED, language, { texts, params: { max }, extensions: { limit: cap, max } });
  }

  const contextFor = async (params: Record<string, unknown> | undefined, request: http.IncomingMessage): Promise<GatewayContext> => {
    const get = (key: string) => {
      const value = params?.[key] ?? params?.[key.charAt(0).toUpperCase() + key.slice(1)];
      return typeof value === 'string' ? value : null;
    };
    const requestId = get('x-request-id');
    const hints = {
      requestId: requestId && /^[\w.:-]{1,128}$/.test(requestId) ? requestId : randomUUID(),
      authorization: get('authorization'),
      acceptLanguage: get('accept-language') ?? (request.headers['accept-language'] as string | undefined) ?? null,
      clientAddress: request.socket.remoteAddress ?? 'unknown',
      userAgent: (request.headers['user-agent'] as string | undefined) ?? null,
    };
    try {
      return await gatewayContext(options.verifier, hints);
    } catch (error) {
      // The token could not be checked at all (keys unreachable): anonymous here; the owning subgraph decides.
      options.logger.warn({ err: error }, 'verifying a websocket token failed');
      return { ...hints, caller: null, tokenRefusal: 'unverifiable' };
    }
  };

  const contextOf = (ctx: { extra: unknown }) => (ctx.extra as SocketExtra).gatewayContext;
  const scopeOf = (ctx: { extra: unknown }) => {
    const context = contextOf(ctx);
    return { requestId: context?.requestId ?? 'ws', language: languageFromHeader(context?.acceptLanguage) };
  };

  const cleanup = useServer(
    {
      onConnect: async (ctx) => {
        const extra = ctx.extra as SocketExtra;
        const slot = slots.get(extra.socket);
        if (!slot) return false;
        extra.gatewayContext = await contextFor(ctx.connectionParams, extra.request);
        const admitted = caps.identify(slot, callerKey(extra.gatewayContext.caller));
        if (admitted !== true) {
          refuseSocket(extra.socket, admitted);
          return false;
        }
        return true;
      },
      /**
       * Caps, parsing, validation, picking the operation and coercing variables happen here rather than in graphql-ws:
       * there a syntax error throws and closes the whole socket (4500, every other subscription on it with it), and
       * a variable of the wrong type would only fail later, inside the subgraph, as an internal error.
       */
      onSubscribe: (ctx, id, payload) => {
        const extra = ctx.extra as SocketExtra;
        const slot = slots.get(extra.socket);
        const scope = scopeOf(ctx);
        if (!slot || !extra.gatewayContext) return [contractError(ErrorCode.UNAUTHENTICATED, scope.language)];
        const admitted = caps.admit(slot, id);
        if (admitted !== true) return [subscriptionRefusal(admitted, scope.language)];
        const refuse = (errors: readonly GraphQLError[]) => {
          caps.leave(slot, id);
          return errors;
        };
        try {
          let document: DocumentNode;
          try {
            const checked = documents.get(payload.query, parseOperation, (parsed) => validate(schema, parsed));
            if (checked.errors.length > 0) return refuse(checked.errors);
            document = checked.document;
          } catch (error) {
            return refuse([error instanceof GraphQLError ? error : new GraphQLError('Malformed query', { extensions: { code: ErrorCode.BAD_USER_INPUT } })]);
          }
          // The limits' own rules may weigh the variables: checked every time.
          const variables = (payload.variables ?? {}) as Record<string, unknown>;
          const limited = options.limits?.validate(schema, document, variables, payload.operationName) ?? [];
          if (limited.length > 0) return refuse(limited);
          const operationName = payload.operationName ?? undefined;
          const operation = getOperationAST(document, operationName);
          if (!operation) {
            return refuse([new GraphQLError(operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.')]);
          }
          if (operation.operation !== 'subscription') {
            return refuse([
              contractError(ErrorCode.BAD_USER_INPUT, scope.language, {
                texts: { KK: 'Сұраулар мен мутацияларды HTTP арқылы жіберіңіз; бұл байланыс жазылымдарға арналған', RU: 'Запросы и мутации отправляйте по HTTP; это соединение для подписок', EN: 'Send queries and mutations over HTTP; this socket carries subscriptions' },
              }),
            ]);
          }
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
          if (coerced.errors) return refuse(coerced.errors);
          const args: ExecutionArgs = { schema, document, variableValues: variables, contextValue: extra.gatewayContext, ...(operationName ? { operationName } : {}) };
          return args;
        } catch (error) {
          options.logger.error({ err: error, requestId: scope.requestId }, 'checking a subscription failed');
          return refuse([contractError(ErrorCode.INTERNAL, scope.language)]);
        }
      },
      onError: (ctx, _id, _payload, errors) => runInRequest(scopeOf(ctx), () => errors.map(formatOne)),
      subscribe: (args) => startSubscription(args),
      execute: (args) => ({ errors: [contractError(ErrorCode.BAD_USER_INPUT, languageFromHeader((args.contextValue as GatewayContext | undefined)?.acceptLanguage))] }),
      onNext: (ctx, _id, _payload, _args, result) => runInRequest(scopeOf(ctx), () => formatResult(result as ExecutionResult)),
      onComplete: (ctx, id) => {
        const slot = slots.get((ctx.extra as SocketExtra).socket);
        if (slot) caps.leave(slot, id);
      },
    },
    wsServer,
  );

  function formatOne(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
    const json = error instanceof GraphQLError ? error.toJSON() : error;
    // A contract error keeps its DomainError: the formatter localizes it instead of logging it as unexpected.
    const original = error instanceof GraphQLError && error.originalError instanceof DomainError ? error.originalError : error;
    const formatted = formatError(json, original);
    if (!options.production) return formatted;
    // What ApolloServerPluginDisableSuggestions does over HTTP: no schema details for whoever probes it.
    const hide = (text: unknown) => (typeof text === 'string' ? text.replace(/ ?Did you mean(.+?)\?$/, '') : text);
    return { ...formatted, message: hide(formatted.message) as string, ...(formatted.extensions ? { extensions: { ...formatted.extensions, ...(formatted.extensions.detail ? { detail: hide(formatted.extensions.detail) } : {}) } } : {}) };
  }

  function formatResult(result: ExecutionResult): ExecutionResult {
    if (!result.errors?.length) return result;
    return {
      ...result,
      errors: result.errors.map((error) => {
        const formatted = formatOne(error);
        return new GraphQLError(formatted.message, { extensions: formatted.extensions ?? {} }) as never;
      }),
    };
  }

  /** Never throws: a throw out of graphql-ws's `subscribe` would close the client's socket with all its subscriptions. */
  async function startSubscription(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const connection = args.contextValue as GatewayContext;
    const language = languageFromHeader(connection.acceptLanguage);
    // Each subscription is a request of its own in the logs, upstream and in the rest of the plan.
    const context: GatewayContext = { ...connection, requestId: randomUUID() };
    try {
      const plan = executor.plan(args.document, args.operationName ?? undefined);
      const upstream = upstreamFor(plan.serviceName);
      if (!upstream) throw new SubscriptionExecutorError(`no URL for subgraph "${plan.serviceName}"`);
      const variables = (args.variableValues ?? {}) as Record<string, unknown>;
      const upstreamSize = Buffer.byteLength(JSON.stringify({ query: plan.query, variables: SubscriptionExecutor.upstreamVariables(plan, variables, null), extensions: { authorization: context.authorization } }));
      if (upstreamSize > settings.maxPayloadBytes - UPSTREAM_MESSAGE_MARGIN) {
        // The subgraph's socket carries everyone's subscriptions: a message over its cap would close it for all.
        return { errors: [contractError(ErrorCode.BAD_USER_INPUT, language, { texts: { KK: 'Жазылым тым үлкен', RU: 'Подписка слишком велика', EN: 'The subscription is too large' } })] };
      }
      const query = args.document.loc?.source.body ?? '';
      return new LiveSubscription({
        upstream,
        plan,
        executor,
        variables,
        query,
        ...(args.operationName ? { operationName: args.operationName } : {}),
        context,
        services,
        settings,
        logger: options.logger,
      }).start();
    } catch (error) {
      options.logger.error({ err: error, requestId: context.requestId }, 'starting a subscription failed');
      return { errors: [contractError(ErrorCode.INTERNAL, language)] };
    }
  }

  return {
    async dispose() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await Promise.all([...upstreams.values()].map((upstream) => upstream.dispose()));
    },
  };
}

function callerKey(caller: Caller | null): string | null {
  if (!caller) return null;
  return caller.kind === 'subscriber' ? `subscriber:${caller.subscriberId}` : `staff:${caller.staffId}`;
}
