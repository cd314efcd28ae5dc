// Plain @apollo/gateway behind @apollo/server's standalone server, every setting its default, alone in a process on the
// same supergraph, for bench/cabinet.js. It passes on the caller's token and the internal token as ours does.
const { ApolloServer } = require('@apollo/server');
const { startStandaloneServer } = require('@apollo/server/standalone');
const { ApolloGateway, RemoteGraphQLDataSource } = require('@apollo/gateway');
const { readSupergraph } = require('../../gateway/dist/system');

(async () => {
  const urls = JSON.parse(process.env.SUBGRAPH_URLS);
  const gateway = new ApolloGateway({
    supergraphSdl: readSupergraph(),
    buildService: ({ name }) =>
      new (class extends RemoteGraphQLDataSource {
        willSendRequest({ request, context }) {
          if (context.authorization) request.http.headers.set('authorization', context.authorization);
          request.http.headers.set('x-internal-token', process.env.INTERNAL_API_TOKEN);
        }
      })({ url: urls[name] }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  process.send({ ready: Number(new URL(url).port) });
  process.on('message', async (m) => {
    if (m === 'cpu') process.send({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
    if (m === 'stop') {
      await server.stop();
      process.exit(0);
    }
  });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
