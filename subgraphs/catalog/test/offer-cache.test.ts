import { randomUUID } from 'node:crypto';
import { demo, entitiesQuery, graphql, platformForSuite, subscriberRepresentations } from '@selfcare/shared/testing';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { CatalogSubgraph, TariffPlanEntity, TariffPlanVersionEntity, createCatalogSubgraph, raiseOfferGeneration } from '../src';

/**
 * The offers (tariffs, services, their versions) kept in memory by the OfferCache: one statement per request checks
 * the offers' generation; a change that raised it — staff's, or another replica's — is seen by the very next request,
 * on the GraphQL side and in the plans other services rate with (terms 2.6).
 */
describe('offer cache', () => {
  let definition!: CatalogSubgraph;
  const { t, catalog } = platformForSuite(
    { delegation: createDelegationSubgraph, catalog: () => (definition = createCatalogSubgraph({ orderRecoveryIntervalMs: 3_600_000, holderJobPollMs: 3_600_000 })) },
    { standInIdentity: true },
  );
  const tariffs = async () => ((await graphql<any>(catalog.graphqlUrl, '{ tariffs { code name } }')).data!.tariffs as { code: string; name: string }[]);
  const planOf = async (subscriberId: string) =>
    ((await (await t.internal(catalog.url, '/internal/lines/plans-at', { body: { items: [{ subscriberId, at: new Date().toISOString() }] } })).json()) as { plans: any[] }).plans[0];
  /** A change as another replica's staff would make it: in a transaction that raises the offers' generation. */
  const change = (work: (manager: import('typeorm').EntityManager) => Promise<unknown>) =>
    catalog.runtime.database.transaction(async (manager) => {
      await work(manager);
      await raiseOfferGeneration(manager);
    });

  it('reads the offers once and then only their generation, one statement a request however many fields ask', async () => {
    await tariffs();
    // Statements of the request's tables (the relay's rounds on the same database touch none of them).
    const counter = catalog.runtime.database.counter;
    const log = counter.logQuery.bind(counter);
    const seen: string[] = [];
    counter.logQuery = (query: string, ...rest: unknown[]) => {
      const table = /(offer_generation|tariff_plan_versions|tariff_plans|service_versions|services|subscriber_lines|connected_services)\W/.exec(query);
      if (table) seen.push(table[1]!);
      return (log as (...args: unknown[]) => void)(query, ...rest);
    };
    try {
      const loads = definition.services.offerCache.loads;
      await tariffs();
      expect(seen).toEqual(['offer_generation']);
      // A line's tariff and services: its line, its connections and the generation — no offer table.
      seen.length = 0;
      const token = await t.tokenFor(demo.aigerim.id);
      const answer = await graphql<any>(catalog.graphqlUrl, entitiesQuery('Subscriber', 'tariff { code } services { service { code } }'), { representations: subscriberRepresentations([demo.aigerim.id]) }, { token });
      expect(answer.errors).toBeUndefined();
      expect(answer.data!._entities[0].tariff.code).toBeTruthy();
      expect(answer.data!._entities[0].services.length).toBeGreaterThan(0);
      expect([...seen].sort()).toEqual(['connected_services', 'offer_generation', 'subscriber_lines']);
      expect(definition.services.offerCache.loads).toBe(loads);
    } finally {
      counter.logQuery = log;
    }
  });

  it('sees a change that raised the generation at the next request — a rename, a retirement — and not before it commits', async () => {
    const renamed = `Beeline S ${randomUUID().slice(0, 8)}`;
    const original = (await catalog.runtime.database.manager.findOneByOrFail(TariffPlanEntity, { code: 'BEELINE_S' })).name;
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let written!: () => void;
      const renamedInTransaction = new Promise<void>((resolve) => (written = resolve));
      const pending = change(async (manager) => {
        await manager.update(TariffPlanEntity, { code: 'BEELINE_S' }, { name: { KK: renamed, RU: renamed, EN: renamed } });
        written();
        await held;
      });
      // Renamed, the generation not raised and nothing committed yet: requests go on with the offers they have.
      await renamedInTransaction;
      expect((await tariffs()).find((x) => x.code === 'BEELINE_S')!.name).not.toBe(renamed);
      release();
      await pending;
      expect((await tariffs()).find((x) => x.code === 'BEELINE_S')!.name).toBe(renamed);
      await change((manager) => manager.update(TariffPlanEntity, { code: 'BEELINE_S' }, { active: false }));
      expect((await tariffs()).map((x) => x.code)).not.toContain('BEELINE_S');
    } finally {
      await change((manager) => manager.update(TariffPlanEntity, { code: 'BEELINE_S' }, { active: true, name: original }));
    }
    expect((await tariffs()).find((x) => x.code === 'BEELINE_S')!.name).toBe(original.EN);
  });

  it('rates with a version put in force since the offers were read: plans-at sees it at once', async () => {
    const before = await planOf(demo.aigerim.id);
    expect(before).toBeTruthy();
    const current = await catalog.runtime.database.manager.findOneByOrFail(TariffPlanVersionEntity, { id: before.versionId });
    const id = randomUUID();
    const inForce = new Date(Date.now() - 1_000);
    await change((manager) =>
      manager.insert(TariffPlanVersionEntity, {
        ...current,
        id,
        termsVersion: `cache-${id.slice(0, 8)}`,
        allowances: [{ unit: 'MINUTES', amount: 7 }],
        effectiveFrom: inForce,
        createdAt: new Date(),
      }),
    );
    try {
      const after = await planOf(demo.aigerim.id);
      expect(after.versionId).toBe(id);
      expect(after.allowances.map((a: { unit: string; monthlyAmount: number }) => [a.unit, a.monthlyAmount])).toEqual([['MINUTES', 7]]);
    } finally {
      await change((manager) => manager.delete(TariffPlanVersionEntity, { id }));
    }
    expect((await planOf(demo.aigerim.id)).versionId).toBe(before.versionId);
  });
});
