// Hive Gateway (@graphql-hive/gateway) alone in a process on the same supergraph, for bench/gateway-me.js and bench/cabinet.js.
const http = require('node:http');
const { createGatewayRuntime } = require('@graphql-hive/gateway');
const { readSupergraph } = require('../../gateway/dist/system');

(async () => {
  const urls = JSON.parse(process.env.SUBGRAPH_URLS);
  let supergraph = readSupergraph();
  // The checked-in supergraph names the distributed mode's addresses; point it at the running subgraphs.
  for (const [name, url] of Object.entries(urls)) {
    supergraph = supergraph.replace(new RegExp(`(join__graph\\(name: "${name}", url: ")[^"]+(")`), `$1${url}$2`);
  }
  const runtime = createGatewayRuntime({
    supergraph,
    logging: 'error',
    propagateHeaders: {
      // Subgraphs answer GraphQL only with the internal token, as our gateway sends it.
      fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') ?? undefined, 'x-internal-token': process.env.INTERNAL_API_TOKEN }),
    },
  });
  const server = http.createServer(runtime);
  server.listen(0, '127.0.0.1', () => process.send({ ready: server.address().port }));
  process.on('message', (m) => {
    if (m === 'cpu') process.send({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
    if (m === 'stop') server.close(() => process.exit(0));
  });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
