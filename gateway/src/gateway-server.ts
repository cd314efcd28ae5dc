import { ApolloGateway, GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express, { Express, Request } from 'express';
import { serveGatewaySubscriptions } from './subscriptions';
import type { SubscriptionSettings } from './subscription-settings';
import { GatewayContext, callerLabel, gatewayContext } from './context';

export type { GatewayContext } from './context';
import { GraphQLError, Kind } from 'graphql';
import {
  AccessTokenVerifier,
  Logger,
  RunningService,
  INTERNAL_TOKEN_HEADER,
  ServiceMetrics,
  currentRequest,
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
  /** Extra routes (dev sinks in the embedded default). */
  routes?: (app: Express) => void;
  onShutdown?: (() => Promise<void>)[];
  /** Websocket caps and resumption (defaults in subscription-settings.ts). */
  subscriptions?: Partial<SubscriptionSettings>;
}


/** Carries the caller's token, language, address and the request id to every subgraph call. */
class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    config: { url: string },
    private readonly internalToken: string,
    private readonly serviceName: string,
  ) {
    super(config);
  }

  /**
   * A subgraph answers request errors (e.g. a PhoneNumber that fails to parse) with HTTP 400 and a GraphQL
   * body carrying the contract code; pass that body on instead of turning it into an opaque HTTP error.
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]) {
    try {
      const body = (await response.clone().json()) as { errors?: { message?: string; extensions?: Record<string, unknown> }[] };
      const first = body.errors?.[0];
      if (first?.message && typeof first.extensions?.code === 'string') {
        // Tagged like every other subgraph error, so the gateway's formatter keeps the subgraph's text and detail.
        return new GraphQLError(first.message, { extensions: { serviceName: this.serviceName, ...first.extensions } });
      }
    } catch {
      // not a GraphQL body: fall through to the generic error
    }
    return super.errorFromResponse(response);
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
  }
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
 * The public entry: Apollo Server + Apollo Gateway over the checked-in supergraph. Sandbox outside production,
 * no landing page, introspection or field suggestions in production; CSRF prevention on.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningService> {
  const metrics = new ServiceMetrics('gateway');
  const callers = metrics.counter('gateway_operations_by_caller_total', 'Operations by caller kind (subscriber, staff, anonymous, refused:<code>)', ['caller', 'outcome']);
  const dataSource = (name: string) => {
    const url = options.subgraphUrls[name as SubgraphName];
    if (!url) throw new Error(`the supergraph names a subgraph "${name}" with no configured URL`);
    return new SubgraphDataSource({ url }, options.internalToken, name);
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
      // terms 5.6.4: the SMS centre delivers the owner's inbound SMS to 4259 here; delegation checks the signature.
      app.post('/sms/inbound', raw, forwardTo(base('delegation'), options.logger, options.internalToken));
      options.routes?.(app);
    },
    onShutdown: options.onShutdown ?? [],
    websocket: (httpServer) =>
      serveGatewaySubscriptions({
        httpServer,
        supergraphSdl: options.supergraphSdl,
        subgraphUrls: options.subgraphUrls,
        dataSource,
        verifier: options.verifier,
        logger: options.logger,
        production: options.production,
        internalToken: options.internalToken,
        ...(options.subscriptions ? { settings: options.subscriptions } : {}),
        metrics,
      }),
    buildContext: (req) =>
      gatewayContext(options.verifier, {
        requestId: currentRequest()?.requestId ?? 'unknown',
        authorization: req.header('authorization') ?? null,
        acceptLanguage: req.header('accept-language') ?? null,
        clientAddress: req.ip ?? 'unknown',
        userAgent: req.header('user-agent') ?? null,
      }),
  });
}
