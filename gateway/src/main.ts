import { join } from 'node:path';
import Redis from 'ioredis';
import { AccessTokenVerifier, RedisRevocationStore, createLogger, env, httpJwksSource, installProcessHandlers, parseEnv, startOrExit } from '@selfcare/shared';
import { startGateway } from './gateway-server';
import { readSubscriptionSettings } from './subscription-settings';
import { readSupergraph, repositoryRoot } from './system';

/** Distributed mode: the gateway alone, in front of the five subgraph processes. */
void startOrExit(async () => {
  const config = parseEnv({
    NODE_ENV: env.nodeEnv(),
    GATEWAY_PORT: env.port(4000),
    SUPERGRAPH_PATH: env.string(join(repositoryRoot(), 'schema', 'supergraph.graphql')),
    REDIS_URL: env.matching(/^rediss?:\/\//, 'must be a redis:// URL'),
    REDIS_KEY_PREFIX: env.matching(/^[\w:.-]*$/, 'may hold letters, digits and : . _ - only', ''),
    TOKEN_ISSUER: env.string('selfcare-identity'),
    INTERNAL_API_TOKEN: env.secret(24),
    ACCESS_TOKEN_TTL_SECONDS: env.int(900, 30),
    IDENTITY_URL: env.url('http://127.0.0.1:4001'),
    CATALOG_URL: env.url('http://127.0.0.1:4002'),
    BILLING_URL: env.url('http://127.0.0.1:4003'),
    DETAILING_URL: env.url('http://127.0.0.1:4004'),
    DELEGATION_URL: env.url('http://127.0.0.1:4005'),
  });
  const subscriptions = readSubscriptionSettings();
  const logger = createLogger('gateway');
  installProcessHandlers(logger);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  const base = (url: string) => url.replace(/\/+$/, '');
  const gateway = await startGateway({
    port: config.GATEWAY_PORT,
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
