import { TestSystem } from '../support/system';

/** Graceful shutdown: requests in flight when the stop begins are answered; afterwards nothing listens. */
describe('graceful shutdown', () => {
  it('drains in-flight requests through the gateway, then stops every service', async () => {
    const t = await TestSystem.start();
    const url = t.url;
    const subgraphUrls = Object.values(t.system.subgraphs).map((s) => s.url);
    const inFlight = Array.from({ length: 25 }, () =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ tariffs { code name monthlyFee { amount } } }' }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { data?: { tariffs: unknown[] } } })),
    );
    // Let the requests reach the server before the stop begins.
    await new Promise((r) => setTimeout(r, 20));
    const stopping = t.stop();
    const answers = await Promise.all(inFlight);
    await stopping;
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.data?.tariffs.length).toBeGreaterThan(0);
    }
    for (const base of [url, ...subgraphUrls]) {
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    }
  }, 120_000);
});
