import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { DocumentNode, ExecutionArgs, GraphQLError, GraphQLSchema, getOperationAST, parse, subscribe, validate } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import WebSocket, { WebSocketServer } from 'ws';
import type { CallerHints } from '../graphql/context-factory';
import { DomainError } from '../errors/domain-error';
import { DocumentCache } from '../graphql/document-cache';
import { ErrorCode } from '../errors/error-code';
import { languageFromHeader, languageInHeader } from '../i18n/language';
import type { Logger } from '../logging/logger';
import { INTERNAL_TOKEN_HEADER, internalTokenMatches } from '../service/internal-http';
import { RequestScope, currentLanguage, runInRequest } from './request-store';

// graphql-ws 6 publishes its ws adapter only through package exports, which this build's module resolution
// does not read for types; the runtime require resolves it normally.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/dist/use/ws');

/** The largest websocket message accepted, as the HTTP body limit (100 KB): larger ones close the socket with 1009. */
export const WEBSOCKET_MAX_PAYLOAD_BYTES = 100 * 1024;

/** Close code for a connection without the internal token (graphql-ws's Forbidden). */
export const WEBSOCKET_FORBIDDEN = 4403;

export interface WebSocketEndpoint {
  dispose(): Promise<void>;
}

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/** Request ids are echoed in logs: the same rule as for X-Request-Id over HTTP. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The caller of one subscription, from its subscribe message's `extensions` (the gateway puts the caller's
 * Authorization, language, client address and request id there). Only connections that presented the internal
 * token get here, so the forwarded address can be trusted as over HTTP.
 */
export function hintsFromExtensions(extensions: unknown, fallbackAddress: string): CallerHints {
  const record = extensions && typeof extensions === 'object' ? (extensions as Record<string, unknown>) : {};
  const value = (key: string) => (typeof record[key] === 'string' ? (record[key] as string) : null);
  const requestId = value('x-request-id');
  return {
    requestId: requestId && REQUEST_ID.test(requestId) ? requestId : randomUUID(),
    authorization: value('authorization'),
    language: languageFromHeader(value('accept-language')),
    requestedLanguage: languageInHeader(value('accept-language')),
    clientAddress: value('x-client-address') || fallbackAddress,
    userAgent: value('user-agent'),
  };
}

interface ConnectionState {
  /** The request scope (id, language) of each subscription, for its logs and its errors' language. */
  scopes: Map<string, RequestScope>;
}

/**
 * graphql-ws on the service's own port and GraphQL path, for the gateway only: a connection must present the
 * internal token in its connection params (else it is closed with 4403), and carries many subscriptions of many
 * callers — the gateway multiplexes them — so each subscription gets its own context from its `extensions`.
 * Nothing one subscription sends may close the connection: parsing, validation, the context and the subscribe
 * call are all caught here and answered as that subscription's error (graphql-ws would close with 4500).
 */
export function serveSubscriptions<TContext extends object>(options: {
  httpServer: http.Server;
  path?: string;
  schema: GraphQLSchema;
  buildContext: (hints: CallerHints) => Promise<TContext>;
  formatError: ErrorFormatter;
  internalToken: string;
  logger?: Logger;
  maxPayloadBytes?: number;
  /** Wraps each started subscription's results (the kit ends those acting through a grant that ended, terms 4.4). */
  watch?: (contextValue: TContext, results: AsyncIterator<unknown>) => AsyncIterableIterator<unknown>;
}): WebSocketEndpoint {
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path ?? '/graphql', maxPayload: options.maxPayloadBytes ?? WEBSOCKET_MAX_PAYLOAD_BYTES });
  // graphql-ws listens for errors with once(): a second one would be unhandled and end the process.
  wsServer.on('error', (error) => options.logger?.warn({ err: error }, 'websocket server error'));
  wsServer.on('connection', (socket: WebSocket) => {
    socket.on('error', (error) => options.logger?.debug({ err: error }, 'websocket connection error'));
  });
  const documents = new DocumentCache();
  const states = new WeakMap<object, ConnectionState>();
  const stateOf = (ctx: object): ConnectionState => {
    let state = states.get(ctx);
    if (!state) {
      state = { scopes: new Map() };
      states.set(ctx, state);
    }
    return state;
  };
  const scopeOf = (ctx: object, id: string): RequestScope => stateOf(ctx).scopes.get(id) ?? { requestId: id, language: currentLanguage() };
  // graphql-ws wraps what a feed's next() throws (UNAUTHENTICATED for a revoked token…) in a GraphQLError without a
  // path, which the formatter does not unwrap: hand it the DomainError itself, or it becomes INTERNAL.
  const format = (error: unknown): GraphQLFormattedError =>
    options.formatError(
      error instanceof GraphQLError ? error.toJSON() : (error as GraphQLFormattedError),
      error instanceof GraphQLError && error.originalError instanceof DomainError ? error.originalError : error,
    );
  const refuse = (error: DomainError | GraphQLError, scope: RequestScope): readonly GraphQLError[] => [
    error instanceof DomainError ? error.toGraphQLError(scope.language) : error,
  ];

  const cleanup = useServer(
    {
      onConnect: (ctx) => {
        const params = ctx.connectionParams as Record<string, unknown> | undefined;
        const token = params?.[INTERNAL_TOKEN_HEADER];
        return internalTokenMatches(typeof token === 'string' ? token : null, options.internalToken);
      },
      onSubscribe: async (ctx, id, payload) => {
        const request = (ctx.extra as { request?: http.IncomingMessage }).request;
        const hints = hintsFromExtensions(payload.extensions, request?.socket.remoteAddress ?? 'unknown');
        const scope: RequestScope = { requestId: hints.requestId, language: hints.language };
        stateOf(ctx).scopes.set(id, scope);
        return runInRequest(scope, async () => {
          let document: DocumentNode;
          try {
            const checked = documents.get(payload.query, (source) => parse(source), (parsed) => validate(options.schema, parsed));
            if (checked.errors.length > 0) return checked.errors;
            document = checked.document;
          } catch (error) {
            return [error instanceof GraphQLError ? error : new GraphQLError('Malformed query')];
          }
          const operation = getOperationAST(document, payload.operationName ?? undefined);
          if (!operation) return [new GraphQLError('Unable to identify operation')];
          if (operation.operation !== 'subscription') {
            return refuse(new DomainError(ErrorCode.BAD_USER_INPUT, { texts: { KK: 'Бұл байланыс тек жазылымдарға арналған', RU: 'Это соединение только для подписок', EN: 'This socket carries subscriptions only' } }), scope);
          }
          try {
            const contextValue = await options.buildContext(hints);
            const args: ExecutionArgs = {
              schema: options.schema,
              document,
              contextValue,
              variableValues: payload.variables ?? {},
              ...(payload.operationName ? { operationName: payload.operationName } : {}),
            };
            return args;
          } catch (error) {
            options.logger?.error({ err: error, requestId: scope.requestId }, 'building a subscription context failed');
            return refuse(new DomainError(ErrorCode.INTERNAL), scope);
          }
        });
      },
      subscribe: async (args) => {
        const context = args.contextValue as Partial<RequestScope>;
        const scope: RequestScope = { requestId: context.requestId ?? 'subscription', language: context.language ?? currentLanguage() };
        try {
          const started = await runInRequest(scope, () => subscribe(args));
          if (!options.watch || !(Symbol.asyncIterator in Object(started))) return started;
          return options.watch(args.contextValue as TContext, started as AsyncIterator<unknown>) as typeof started;
        } catch (error) {
          options.logger?.error({ err: error, requestId: scope.requestId }, 'starting a subscription failed');
          return { errors: [new DomainError(ErrorCode.INTERNAL).toGraphQLError(scope.language)] };
        }
      },
      execute: () => ({ errors: [new GraphQLError('subscriptions only', { extensions: { code: ErrorCode.BAD_USER_INPUT } })] }),
      onNext: (ctx, id, _payload, _args, result) => {
        if (!('errors' in result) || !result.errors?.length) return result;
        return runInRequest(scopeOf(ctx, id), () => ({ ...result, errors: result.errors!.map(format) }));
      },
      onError: (ctx, id, _payload, errors) => {
        const scope = scopeOf(ctx, id);
        // An error ends the subscription; a refusal in onSubscribe is not followed by onComplete.
        stateOf(ctx).scopes.delete(id);
        return runInRequest(scope, () =>
          errors.map((error) => {
            const formatted = format(error);
            return new GraphQLError(formatted.message, { extensions: formatted.extensions ?? {} });
          }),
        );
      },
      onComplete: (ctx, id) => {
        stateOf(ctx).scopes.delete(id);
      },
    },
    wsServer,
  );
  return {
    async dispose() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
