import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { GraphQLError, GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import type { GraphQLFormattedError } from 'graphql';
import type { CallerHints } from '../graphql/context-factory';
import { hintsFromConnectionParams } from '../graphql/context-factory';
import { runInRequest } from './request-store';
import { INTERNAL_TOKEN_HEADER, internalTokenMatches } from '../service/internal-http';

// graphql-ws 6 publishes its ws adapter only through package exports, which this build's module resolution
// does not read for types; the runtime require resolves it normally.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/dist/use/ws');

export interface WebSocketEndpoint {
  dispose(): Promise<void>;
}

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/**
 * graphql-ws on the service's own port and GraphQL path. Each subscription gets a context built from the
 * connection params (the gateway puts the caller's Authorization, language, address and request id there),
 * and its errors go through the same formatter as HTTP errors.
 */
export function serveSubscriptions<TContext extends object>(options: {
  httpServer: http.Server;
  path?: string;
  schema: GraphQLSchema;
  buildContext: (hints: CallerHints) => Promise<TContext>;
  formatError: ErrorFormatter;
  internalToken: string;
}): WebSocketEndpoint {
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path ?? '/graphql' });
  const contexts = new WeakMap<object, TContext>();
  const cleanup = useServer(
    {
      schema: options.schema,
      // Only the gateway subscribes here (it sends the internal token in the connection params): 4403 for anyone else.
      onConnect: (ctx) => internalTokenMatches((ctx.connectionParams as Record<string, unknown> | undefined)?.[INTERNAL_TOKEN_HEADER] as string | undefined, options.internalToken),
      context: async (ctx) => {
        const cached = contexts.get(ctx);
        if (cached) return cached as never;
        const request = (ctx.extra as { request?: http.IncomingMessage }).request;
        const hints = hintsFromConnectionParams(
          ctx.connectionParams as Record<string, unknown> | undefined,
          request?.socket.remoteAddress ?? 'unknown',
          randomUUID(),
          options.internalToken,
        );
        const context = await runInRequest({ requestId: hints.requestId, language: hints.language }, () => options.buildContext(hints));
        contexts.set(ctx, context);
        return context as never;
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!('errors' in result) || !result.errors?.length) return result;
        return {
          ...result,
          errors: result.errors.map((error) => options.formatError(error instanceof GraphQLError ? error.toJSON() : (error as GraphQLFormattedError), error)),
        };
      },
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((error) => new GraphQLError(options.formatError(error.toJSON(), error).message, { extensions: options.formatError(error.toJSON(), error).extensions })),
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
