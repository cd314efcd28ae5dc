// Our gateway (Apollo Server + @apollo/gateway) alone in a process, for bench/gateway-me.js.
const { startGateway } = require('../../gateway/dist/gateway-server');
const { readSupergraph } = require('../../gateway/dist/system');
const { AccessTokenVerifier, MemoryRevocationStore, createLogger, httpJwksSource } = require('../../shared/dist');

(async () => {
  const urls = JSON.parse(process.env.SUBGRAPH_URLS);
  const gateway = await startGateway({
    port: 0,
    host: '127.0.0.1',
    supergraphSdl: readSupergraph(),
    subgraphUrls: urls,
    production: true,
    logger: createLogger('gateway', 'warn'),
    internalToken: process.env.INTERNAL_API_TOKEN,
    verifier: new AccessTokenVerifier(httpJwksSource(process.env.JWKS_URL), new MemoryRevocationStore(60_000), 'selfcare-identity'),
  });
  process.send({ ready: gateway.port });
  process.on('message', async (m) => {
    if (m === 'cpu') process.send({ cpu: process.cpuUsage() });
    if (m === 'stop') {
      await gateway.stop();
      process.exit(0);
    }
  });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
