import { InboxEventEntity, OutboxEventEntity } from '@selfcare/shared';
import { eventually } from '@selfcare/shared/testing';
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

  it('an event written while the system stops reaches every consumer after the restart (the in-process bus keeps nothing)', async () => {
    const t = await TestSystem.start();
    try {
      // delegation stops (its consumer of identity first) before identity does: identity writes an event right then.
      t.system.subgraphs.delegation.runtime.onStop(async () => {
        const identity = t.system.subgraphs.identity.runtime;
        await identity.database.transaction((manager) => identity.outbox.add(manager, 'ShutdownProbe', { note: 'written while delegation stops' }));
        // Time for identity's relay (poll 200 ms, and poked by the commit) to publish it, were it still running.
        await new Promise((resolve) => setTimeout(resolve, 800));
      });
      await t.restart();
      const inboxOf = (group: 'billing' | 'catalog' | 'delegation') => () =>
        t.system.subgraphs[group].runtime.database.manager.count(InboxEventEntity, { where: { stream: 'identity', type: 'ShutdownProbe' } });
      // Before the fix identity's relay published it to the still-running groups, marked it published, and
      // delegation's stopped group never saw it.
      expect(await eventually(inboxOf('delegation'), (n) => n === 1)).toBe(1);
      expect(await eventually(inboxOf('billing'), (n) => n === 1)).toBe(1);
      expect(await eventually(inboxOf('catalog'), (n) => n === 1)).toBe(1);
      // The relay marks the row once the bus has taken it, which may be after the consumers applied it.
      const row = await eventually(() => t.system.subgraphs.identity.runtime.database.manager.findOneByOrFail(OutboxEventEntity, { type: 'ShutdownProbe' }), (r) => r.publishedAt !== null);
      expect(row.publishedAt).not.toBeNull();
    } finally {
      await t.stop();
    }
  }, 180_000);
});
