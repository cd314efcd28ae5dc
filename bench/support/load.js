// The HTTP load of bench/gateway-me.js in a process of its own, so the load generator does not share a core's
// time with the subgraphs it measures. Gets {url, tokens, connections, duration, body} over IPC, answers the result.
const autocannon = require('autocannon');

process.once('message', async ({ url, tokens, connections, duration, body }) => {
  let next = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration,
    headers: { 'content-type': 'application/json' },
    body,
    // Each connection carries its own session's token, as real clients do (no two share one).
    setupClient: (client) => {
      client.setHeaders({ 'content-type': 'application/json', authorization: `Bearer ${tokens[next++ % tokens.length]}` });
    },
  });
  process.send({
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failed: result.non2xx + result.errors,
  });
  process.disconnect();
});
