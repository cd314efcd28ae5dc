// The load of bench/orders.js's hot-account part in a process of its own: autocannon posting 1-tiyn charges to one
// account through billing's internal API (POST /internal/charges), every request with a reference of its own.
'use strict';
const autocannon = require('autocannon');

process.once('message', async ({ url, token, subscriberId, connections, duration, prefix }) => {
  let n = 0;
  const result = await autocannon({
    url,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/internal/charges',
        headers: { 'content-type': 'application/json', 'x-internal-token': token },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ subscriberId, reference: `${prefix}:${n++}`, kind: 'CHARGE', amountMinor: 1, description: { KK: 'bench', RU: 'bench', EN: 'bench' }, requireFunds: true }),
        }),
      },
    ],
  });
  process.send({ requestsPerSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total, failed: result.non2xx + result.errors, sent: n });
  process.disconnect();
});
