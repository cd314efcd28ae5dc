import { TestSystem, passwordIn } from '../support/system';

/**
 * The embedded default keeps its state across restarts: databases are migrated and seeded on the first start
 * only (seeding inserts what is missing), the signing key persists so issued tokens stay valid, and a stop
 * closes every port.
 */
describe('stop and start again on the same data', () => {
  it('keeps passwords, tokens and demo data, and closes every port on stop', async () => {
    const t = await TestSystem.start();
    try {
      const msisdn = '+77475556677';
      await t.graphql(`mutation { requestPassword(msisdn: "${msisdn}") }`);
      const password = passwordIn((await t.waitForSms(msisdn, /:\s*[A-Za-z0-9]{6,}/)).text);
      const before = await t.login(msisdn, password);
      const oldUrls = [t.url, ...Object.values(t.system.subgraphs).map((s) => s.url)];

      await t.restart(async () => {
        for (const base of oldUrls) await expect(fetch(`${base}/healthz`)).rejects.toThrow();
      });

      const me = await t.graphql(`{ me { msisdn registered tariff { code } } }`, {}, { token: before.accessToken });
      expect(me.errors).toBeUndefined();
      expect(me.data!.me).toEqual({ msisdn, registered: true, tariff: { code: 'BEELINE_S' } });
      await t.login(msisdn, password);
      const tariffs = await t.graphql<{ tariffs: { code: string }[] }>(`{ tariffs { code } }`);
      const codes = tariffs.data!.tariffs.map((x) => x.code);
      expect(new Set(codes).size).toBe(codes.length); // seeding twice added nothing
    } finally {
      await t.stop();
    }
  }, 180_000);
});
