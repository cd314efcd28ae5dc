// The postings of bench/subscriptions.js in a process of its own: 1.00 charges through billing's internal API
// (POST /internal/charges, as catalog's orders post them), each account `rounds` times, paced at `rate` per second
// (posting i due at i / rate s) with at most `concurrency` in flight. Answers what was sent, refused and how long it took.
'use strict';

process.once('message', async ({ url, token, subscriberIds, rounds, rate, concurrency, prefix }) => {
  const due = Array.from({ length: rounds }, () => subscriberIds).flat();
  let next = 0;
  let failed = 0;
  let late = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < due.length) {
      const index = next++;
      const wait = rate > 0 ? started + (index * 1000) / rate - Date.now() : 0;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      else if (wait < -100) late += 1;
      const body = JSON.stringify({ subscriberId: due[index], reference: `${prefix}:${index}`, kind: 'CHARGE', amountMinor: 100, requireFunds: false, description: { KK: 'bench', RU: 'bench', EN: 'bench' } });
      let response = null;
      // Idempotent by reference: a posting whose answer was lost (a reset socket) is sent again, up to three times.
      for (let attempt = 0; attempt < 3 && !response; attempt += 1) {
        response = await fetch(`${url}/internal/charges`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-internal-token': token }, body }).catch(() => null);
      }
      if (!response || !response.ok) {
        failed += 1;
        if (failed <= 3) process.stderr.write(`posting refused: ${response ? `${response.status} ${(await response.text()).slice(0, 300)}` : 'network'}\n`);
      } else await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  process.send({ sent: due.length, failed, late, seconds: (Date.now() - started) / 1000 });
  process.disconnect();
});
