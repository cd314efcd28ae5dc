import Redis from 'ioredis';
import { AccessTokenVerifier, RedisRevocationStore, createLogger, httpJwksSource, installProcessHandlers, startOrExit } from '@selfcare/shared';
import { startGateway } from './gateway-server';
import { readSupergraph } from './system';
import { gatewayLimitsFrom } from './limits';
import { loadGatewayConfig } from './gateway-config';
import { subscriptionSettingsFrom } from './subscription-settings';

/** Distributed mode: the gateway alone, in front of the five subgraph processes. */
void startOrExit(async () => {
  const config = loadGatewayConfig();
  const logger = createLogger('gateway');
  installProcessHandlers(logger);
  const { limits, timeouts } = gatewayLimitsFrom(config);
  const subscriptions = subscriptionSettingsFrom(config);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  const base = (url: string) => url.replace(/\/+$/, '');
  const gateway = await startGateway({
    port: config.GATEWAY_PORT,
    host: config.GATEWAY_HOST,
    limits,
    timeouts,
    trustProxy: config.TRUST_PROXY,
    corsOrigins: config.CORS_ORIGINS,
    ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
    supergraphSdl: readSupergraph(config.SUPERGRAPH_PATH),
    subgraphUrls: {
      identity: `${base(config.IDENTITY_URL)}/graphql`,
      catalog: `${base(config.CATALOG_URL)}/graphql`,
      billing: `${base(config.BILLING_URL)}/graphql`,
      detailing: `${base(config.DETAILING_URL)}/graphql`,
      delegation: `${base(config.DELEGATION_URL)}/graphql`,
    },
    production: config.NODE_ENV === 'production',
    logger,
    internalToken: config.INTERNAL_API_TOKEN,
    verifier: new AccessTokenVerifier(
      httpJwksSource(`${base(config.IDENTITY_URL)}/.well-known/jwks.json`),
      new RedisRevocationStore(redis, config.ACCESS_TOKEN_TTL_SECONDS * 1000, `${config.REDIS_KEY_PREFIX}selfcare:revoked`),
      config.TOKEN_ISSUER,
    ),
    onShutdown: [async () => void redis.disconnect()],
    subscriptions,
  });
  const shutdown = async () => {
    const timer = setTimeout(() => process.exit(1), 25_000);
    timer.unref();
    await gateway.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
});
