// The HTTP load of bench/gateway-me.js and bench/cabinet.js in a process of its own, so the load generator does not
// share a core's time with what it measures. Gets a message over IPC, answers the result:
//   {url, tokens, connections, duration, body}: autocannon, one token per connection;
//   {kind: 'mix', url, providerUrl, writers, duration, label}: each writer (its own subscriber and token) in a loop,
//   alternating changeTariff (BEELINE_S ⇄ BEELINE_M) and payByCard (100.00, a card token made at the provider
//   before the clock starts), a fresh idempotency key each time.
const autocannon = require('autocannon');

async function reads({ url, tokens, connections, duration, body }) {
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
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failed: result.non2xx + result.errors,
  };
}

const ORDER = 'mutation ($s: ID!, $c: String!, $k: String!) { changeTariff(subscriberId: $s, tariffCode: $c, acceptedTermsVersion: "2025-11-01", idempotencyKey: $k) { status } }';
const PAY = 'mutation ($s: ID!, $t: String!, $k: String!) { payByCard(subscriberId: $s, amount: "100.00", cardToken: $t, idempotencyKey: $k) { status amount { amount } } }';
const PAYMENTS_PER_WRITER = 150;

async function cardToken(providerUrl) {
  const response = await fetch(`${providerUrl}/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' }),
  });
  return (await response.json()).id;
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
}

async function mix({ url, providerUrl, writers, duration, label }) {
  const pools = await Promise.all(writers.map(async () => Promise.all(Array.from({ length: PAYMENTS_PER_WRITER }, () => cardToken(providerUrl)))));
  const latencies = [];
  const outcomes = {};
  let failed = 0;
  const started = Date.now();
  const deadline = started + duration * 1000;
  await Promise.all(
    writers.map(async ({ subscriberId, token }, w) => {
      let tariff = 'BEELINE_M';
      let n = 0;
      while (Date.now() < deadline) {
        const pay = n % 2 === 1 && pools[w].length > 0;
        const key = `bench-${label}-${w}-${n++}`;
        const request = pay ? { query: PAY, variables: { s: subscriberId, t: pools[w].pop(), k: key } } : { query: ORDER, variables: { s: subscriberId, c: tariff, k: key } };
        const begin = process.hrtime.bigint();
        let outcome;
        try {
          const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(request) });
          const body = await response.json();
          const data = pay ? body.data?.payByCard : body.data?.changeTariff;
          const code = body.errors?.[0]?.extensions?.code;
          outcome = data ? `${pay ? 'payment' : 'order'}:${data.status}` : `${pay ? 'payment' : 'order'}:${code ?? `HTTP_${response.status}`}`;
          // CONFLICT: the line's previous order is still settling (one order per line at a time) — an answer, not a failure.
          if (!data && code !== 'CONFLICT') failed += 1;
          if (!pay && data) tariff = tariff === 'BEELINE_M' ? 'BEELINE_S' : 'BEELINE_M';
        } catch {
          outcome = 'NETWORK';
          failed += 1;
        }
        latencies.push(Number(process.hrtime.bigint() - begin) / 1e6);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { requestsPerSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), total: latencies.length, failed, outcomes };
}

process.once('message', async (message) => {
  process.send(message.kind === 'mix' ? await mix(message) : await reads(message));
  process.disconnect();
});
