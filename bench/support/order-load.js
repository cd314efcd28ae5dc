// The clients of bench/orders.js in a process of their own: each line's client orders tariff changes back and forth
// (BEELINE_S ⇄ BEELINE_M, a 500.00 switch fee each) through the gateway for the given time, one order at a time, a
// fresh idempotency key each. Answers every order's latency and outcome.
'use strict';

process.once('message', async ({ url, clients, durationMs }) => {
  const latencies = [];
  const outcomes = {};
  const deadline = Date.now() + durationMs;
  const mutation = 'mutation ($s: ID!, $c: String!, $k: String!) { changeTariff(subscriberId: $s, tariffCode: $c, acceptedTermsVersion: "2025-11-01", idempotencyKey: $k) { status } }';
  await Promise.all(
    clients.map(async ({ subscriberId, token }, index) => {
      let next = 'BEELINE_S';
      let n = 0;
      while (Date.now() < deadline) {
        const started = process.hrtime.bigint();
        let outcome;
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: mutation, variables: { s: subscriberId, c: next, k: `bench-${index}-${n++}` } }),
          });
          const body = await response.json();
          outcome = body.data?.changeTariff?.status ?? body.errors?.[0]?.extensions?.code ?? `HTTP_${response.status}`;
        } catch {
          outcome = 'NETWORK';
        }
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (outcome === 'COMPLETED') next = next === 'BEELINE_S' ? 'BEELINE_M' : 'BEELINE_S';
      }
    }),
  );
  process.send({ latencies, outcomes });
  process.disconnect();
});
