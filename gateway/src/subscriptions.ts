import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ApolloGateway } from '@apollo/gateway';
import { executeQueryPlan } from '@apollo/gateway/dist/executeQueryPlan';
import { buildOperationContext } from '@apollo/gateway/dist/operationContext';
import { operationFromDocument } from '@apollo/federation-internals';
import type { FetchNode, PlanNode, QueryPlan, SubscriptionNode } from '@apollo/query-planner';
import { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLError, GraphQLFormattedError, GraphQLSchema, getOperationAST, getVariableValues, parse, print, validate } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { AccessTokenVerifier, DomainError, ErrorCode, INTERNAL_TOKEN_HEADER, Logger, createErrorFormatter, currentLanguage, languageFromHeader, runInRequest } from '@selfcare/shared';
import type { SubgraphName } from './gateway-server';
import type { OperationLimits } from './limits';
import { GatewayContext, gatewayContext } from './context';

// graphql-ws 6 publishes its ws adapter only through package exports (see shared/src/http/websocket.ts).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/dist/use/ws');

/** The parts of ApolloGateway this executor uses; pinned @apollo/gateway 2.14 keeps them on the instance. */
interface GatewayInternals {
  schema?: GraphQLSchema;
  apiSchema: Parameters<typeof operationFromDocument>[0];
  supergraphSchema: GraphQLSchema;
  queryPlanner: { buildQueryPlan(operation: unknown, options?: object): QueryPlan };
  serviceMap: Record<string, { dataSource: unknown }>;
}

const EVENT_SOURCE = '__subscription_event__';

/**
 * Subscriptions at the gateway. @apollo/gateway plans subscriptions but does not execute them; this does:
 * the plan's primary fetch runs as a graphql-ws subscription on the owning subgraph (carrying the caller's
 * token), and for every event the rest of the plan — fields of other subgraphs — runs through the gateway's
 * own executor with the event as the result of that primary fetch.
 */
export function serveGatewaySubscriptions(options: {
  httpServer: http.Server;
  gateway: ApolloGateway;
  subgraphUrls: Record<SubgraphName, string>;
  verifier: AccessTokenVerifier;
  logger: Logger;
  /** No field suggestions ("Did you mean …?") in errors, as over HTTP. */
  production?: boolean;
  /** Lets the subgraph trust the client address the gateway forwards. */
  internalToken: string;
  /** The gateway's request limits (gateway/src/limits.ts), applied before validation as over HTTP. */
  limits?: OperationLimits;
}): { dispose(): Promise<void> } {
  const internals = options.gateway as unknown as GatewayInternals;
  const formatError = createErrorFormatter(options.logger, currentLanguage);
  const wsServer = new WebSocketServer({ server: options.httpServer, path: '/graphql' });

  const contextFor = (params: Record<string, unknown> | undefined, request: http.IncomingMessage): Promise<GatewayContext> => {
    const get = (key: string) => {
      const value = params?.[key] ?? params?.[key.charAt(0).toUpperCase() + key.slice(1)];
      return typeof value === 'string' ? value : null;
    };
    return gatewayContext(options.verifier, {
      requestId: get('x-request-id') ?? randomUUID(),
      authorization: get('authorization'),
      acceptLanguage: get('accept-language') ?? (request.headers['accept-language'] as string | undefined) ?? null,
      clientAddress: request.socket.remoteAddress ?? 'unknown',
      userAgent: (request.headers['user-agent'] as string | undefined) ?? null,
    });
  };

  const scopeOf = (ctx: { extra: unknown }) => {
    const context = (ctx.extra as { gatewayContext?: GatewayContext }).gatewayContext;
    return { requestId: context?.requestId ?? 'ws', language: languageFromHeader(context?.acceptLanguage) };
  };

  const cleanup = useServer(
    {
      /**
       * Parsing, validation, picking the operation and coercing variables happen here rather than in graphql-ws:
       * there a syntax error throws and closes the whole socket (4500, every other subscription on it with it), and
       * a variable of the wrong type would only fail later, inside the subgraph, as an internal error.
       */
      onSubscribe: (_ctx, _id, payload) => {
        const schema = internals.schema;
        if (!schema) return [new GraphQLError('the gateway has not loaded its supergraph yet', { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } })];
        let document: DocumentNode;
        try {
          document = options.limits ? options.limits.parse(payload.query) : parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('Malformed query')];
        }
        const limited = options.limits?.validate(schema, document, payload.variables ?? {}, payload.operationName) ?? [];
        if (limited.length > 0) return [...limited];
        const invalid = validate(schema, document);
        if (invalid.length > 0) return [...invalid];
        const operationName = payload.operationName ?? undefined;
        const operation = getOperationAST(document, operationName);
        if (!operation) {
          return [new GraphQLError(operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.')];
        }
        const variables = payload.variables ?? {};
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
        if (coerced.errors) return [...coerced.errors];
        return { schema, document, variableValues: variables, ...(operationName ? { operationName } : {}) };
      },
      onError: (ctx, _id, _payload, errors) => runInRequest(scopeOf(ctx), () => errors.map(formatOne)),
      context: async (ctx) => {
        const request = (ctx.extra as { request: http.IncomingMessage }).request;
        const extra = ctx.extra as { gatewayContext?: GatewayContext };
        extra.gatewayContext ??= await contextFor(ctx.connectionParams, request);
        return extra.gatewayContext as never;
      },
      subscribe: (args) => executeSubscription(args as ExecutionArgs),
      execute: () => ({ errors: [new GraphQLError('Send queries and mutations over HTTP; this socket carries subscriptions', { extensions: { code: ErrorCode.BAD_USER_INPUT } })] }),
      onNext: (ctx, _id, _payload, _args, result) => runInRequest(scopeOf(ctx), () => formatResult(result)),
    },
    wsServer,
  );

  function formatOne(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
    const formatted = formatError(error instanceof GraphQLError ? error.toJSON() : error, error);
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

  /** Why the upstream subscription ended abnormally, in the contract's terms. */
  function upstreamFailure(error: unknown, context: GatewayContext, serviceName: string): GraphQLError[] {
    // graphql-ws hands over the subgraph's `error` message as the array of its (already formatted) errors.
    if (Array.isArray(error) && error.length > 0 && error.every((e) => typeof e?.message === 'string')) {
      return error.map((e: GraphQLFormattedError) => new GraphQLError(e.message, { extensions: { serviceName, ...e.extensions } }));
    }
    // Anything else is the connection: the subgraph is unreachable, restarting (1001) or went away.
    options.logger.warn({ err: error instanceof Error ? error : { code: (error as { code?: unknown })?.code }, service: serviceName }, 'upstream subscription ended');
    return [new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { service: serviceName } }).toGraphQLError(languageFromHeader(context.acceptLanguage))];
  }

  async function executeSubscription(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    try {
      return await startSubscription(args);
    } catch (error) {
      // Thrown out of graphql-ws's `subscribe` this would close the client's socket with all its subscriptions.
      options.logger.error({ err: error }, 'starting a subscription failed');
      return { errors: [new GraphQLError('cannot start this subscription', { extensions: { code: ErrorCode.INTERNAL } })] };
    }
  }

  async function startSubscription(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const context = args.contextValue as GatewayContext;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    let plan: QueryPlan;
    try {
      const operation = operationFromDocument(internals.apiSchema, args.document, { operationName: args.operationName ?? undefined });
      plan = internals.queryPlanner.buildQueryPlan(operation, {});
    } catch (error) {
      return { errors: [new GraphQLError(error instanceof Error ? error.message : 'cannot plan this subscription', { extensions: { code: ErrorCode.BAD_USER_INPUT } })] };
    }
    const node = plan.node as SubscriptionNode | undefined;
    if (node?.kind !== 'Subscription') return { errors: [new GraphQLError('not a subscription', { extensions: { code: ErrorCode.BAD_USER_INPUT } })] };
    const primary: FetchNode = node.primary;
    const subgraphUrl = options.subgraphUrls[primary.serviceName as SubgraphName];
    if (!subgraphUrl) return { errors: [new GraphQLError(`no subgraph "${primary.serviceName}"`, { extensions: { code: ErrorCode.INTERNAL } })] };

    const client = createClient({
      url: subgraphUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: true,
      retryAttempts: 0,
      connectionParams: {
        ...(context.authorization ? { authorization: context.authorization } : {}),
        ...(context.acceptLanguage ? { 'accept-language': context.acceptLanguage } : {}),
        'x-client-address': context.clientAddress,
        [INTERNAL_TOKEN_HEADER]: options.internalToken,
        'x-request-id': context.requestId,
      },
    });
    const upstream = client.iterate<Record<string, unknown>>({
      query: primary.operation,
      variables: Object.fromEntries((primary.variableUsages ?? []).filter((name) => name in variables).map((name) => [name, variables[name]])),
      ...(primary.operationName ? { operationName: primary.operationName } : {}),
    });
    const eventPlan = (data: Record<string, unknown>): { plan: QueryPlan; source: unknown } => ({
      plan: {
        kind: 'QueryPlan',
        node: node.rest
          ? ({ kind: 'Sequence', nodes: [{ ...primary, serviceName: EVENT_SOURCE }, node.rest] } as PlanNode)
          : ({ ...primary, serviceName: EVENT_SOURCE } as PlanNode),
      },
      source: { process: async () => ({ data }) },
    });
    const operationContext = buildOperationContext({ schema: internals.schema!, operationDocument: args.document, operationName: args.operationName ?? undefined });
    const services = Object.fromEntries(Object.entries(internals.serviceMap).map(([name, { dataSource }]) => [name, dataSource]));

    let finished = false;
    const finish = async () => {
      if (finished) return;
      finished = true;
      await client.dispose();
    };
    const results: AsyncIterableIterator<ExecutionResult> = {
      next: async (): Promise<IteratorResult<ExecutionResult>> => {
        if (finished) return { done: true, value: undefined };
        let event: Awaited<ReturnType<typeof upstream.next>>;
        try {
          event = await upstream.next();
        } catch (error) {
          // The subgraph refused the operation or its socket closed: say so with a contract code, then end.
          await finish();
          return { done: false, value: { errors: upstreamFailure(error, context, primary.serviceName) } };
        }
        if (event.done) {
          await finish();
          return { done: true, value: undefined };
        }
        const upstreamResult = event.value;
        if (!upstreamResult.data) {
          // Tagged as over HTTP, so the formatter keeps the subgraph's own text (already in the caller's language).
          const errors = (upstreamResult.errors ?? []).map((e) => ({ ...e, extensions: { serviceName: primary.serviceName, ...e.extensions } }));
          return { done: false, value: { errors } as unknown as ExecutionResult };
        }
        const { plan: queryPlan, source } = eventPlan(upstreamResult.data);
        const response = await executeQueryPlan(
          queryPlan,
          { ...services, [EVENT_SOURCE]: source } as never,
          {
            request: { query: print(args.document), variables, ...(args.operationName ? { operationName: args.operationName } : {}) },
            context,
            metrics: {},
            logger: options.logger,
          } as never,
          operationContext,
          internals.supergraphSchema,
          internals.apiSchema as never,
        );
        return { done: false, value: response as ExecutionResult };
      },
      return: async (): Promise<IteratorResult<ExecutionResult>> => {
        await upstream.return?.();
        await finish();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => results,
    };
    return results;
  }

  return {
    async dispose() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
