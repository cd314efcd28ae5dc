// Our gateway (Apollo Server + @apollo/gateway) alone in a process, for bench/gateway-me.js and bench/cabinet.js.
// With REDIS_URL it checks revocations in Redis as the distributed mode's gateway does (gateway/src/main.ts).
const { startGateway } = require('../../gateway/dist/gateway-server');
const { readSupergraph } = require('../../gateway/dist/system');
const { AccessTokenVerifier, MemoryRevocationStore, RedisRevocationStore, createLogger, httpJwksSource } = require('../../shared/dist');

(async () => {
  const urls = JSON.parse(process.env.SUBGRAPH_URLS);
  const redis = process.env.REDIS_URL ? new (require('ioredis'))(process.env.REDIS_URL, { maxRetriesPerRequest: 3 }) : null;
  const revocations = redis ? new RedisRevocationStore(redis, 900_000, `${process.env.REDIS_KEY_PREFIX ?? ''}selfcare:revoked`) : new MemoryRevocationStore(60_000);
  const gateway = await startGateway({
    port: 0,
    host: '127.0.0.1',
    supergraphSdl: readSupergraph(),
    subgraphUrls: urls,
    production: true,
    logger: createLogger('gateway', 'warn'),
    internalToken: process.env.INTERNAL_API_TOKEN,
    verifier: new AccessTokenVerifier(httpJwksSource(process.env.JWKS_URL), revocations, 'selfcare-identity'),
    // PERF_OFF=keepAliveClient,tokenCache,limitsCache: bench/cabinet.js's lever figures (gateway/src/perf).
    perf: Object.fromEntries((process.env.PERF_OFF ?? '').split(',').filter(Boolean).map((lever) => [lever, false])),
  });
  process.send({ ready: gateway.port });
  process.on('message', async (m) => {
    if (m === 'cpu') process.send({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
    if (m === 'stop') {
      await gateway.stop();
      redis?.disconnect();
      process.exit(0);
    }
  });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
