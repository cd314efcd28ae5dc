// The load of bench/payments.js in a process of its own: makes card tokens at the provider first (as the holders'
// browsers would), then runs `connections` clients paying by card for `duration` seconds, each payment with a fresh
// token and idempotency key. Gets {graphqlUrl, providerUrl, payers, connections, duration, tokensPerClient} over IPC.
const { randomUUID } = require('node:crypto');

const PAY = 'mutation ($s: ID!, $a: String!, $t: String!, $k: String!) { payByCard(subscriberId: $s, amount: $a, cardToken: $t, idempotencyKey: $k) { id status } }';

async function cardToken(providerUrl) {
  const response = await fetch(`${providerUrl}/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' }),
  });
  return (await response.json()).id;
}

process.once('message', async ({ graphqlUrl, providerUrl, payers, connections, duration, tokensPerClient }) => {
  const pools = [];
  for (let c = 0; c < connections; c += 1) {
    const pool = [];
    for (let i = 0; i < tokensPerClient; i += 1) pool.push(await cardToken(providerUrl));
    pools.push(pool);
  }
  const latencies = [];
  const statuses = {};
  let failed = 0;
  let paidMinor = 0;
  const started = Date.now();
  const deadline = started + duration * 1000;
  await Promise.all(
    pools.map(async (pool, c) => {
      const payer = payers[c % payers.length];
      while (Date.now() < deadline && pool.length) {
        const amountMinor = 10_000 + ((latencies.length * 37) % 90_000);
        const amount = `${Math.trunc(amountMinor / 100)}.${String(amountMinor % 100).padStart(2, '0')}`;
        const begin = process.hrtime.bigint();
        try {
          const response = await fetch(graphqlUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${payer.token}` },
            body: JSON.stringify({ query: PAY, variables: { s: payer.subscriberId, a: amount, t: pool.pop(), k: randomUUID() } }),
          });
          const body = await response.json();
          const status = body.data?.payByCard?.status ?? `error:${body.errors?.[0]?.extensions?.code}`;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === 'SUCCEEDED') paidMinor += amountMinor;
          else failed += 1;
        } catch {
          failed += 1;
          statuses.unreachable = (statuses.unreachable ?? 0) + 1;
        }
        latencies.push(Number(process.hrtime.bigint() - begin) / 1e6);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  process.send({ total: latencies.length, seconds, perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99), failed, statuses, paidMinor });
  process.disconnect();
});
