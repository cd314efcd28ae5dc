import { randomUUID } from 'node:crypto';
import { RunningSubgraph } from '@selfcare/shared';
import { TestPlatform, createTestPlatform, entitiesQuery, graphql, subscriberRepresentations } from '@selfcare/shared/testing';
import { SubscriberLineEntity, TariffPlanEntity, createCatalogSubgraph, loadDemoOffers, seedCatalogDemo } from '../src';

/**
 * The catalog as the distributed mode starts it: no demo seed, so it holds only what the operator published (terms 2.6).
 * Before, the demo offers were loaded at every start in every mode, production included.
 */
describe('catalog without the demo seed (distributed mode)', () => {
  let t: TestPlatform;
  let catalog: RunningSubgraph;
  beforeAll(async () => {
    t = await createTestPlatform({ standInIdentity: true });
    catalog = await t.start(createCatalogSubgraph(), { seedDemoData: false });
  });
  afterAll(async () => {
    await t.stop();
  });

  const tariffOf = async (subscriberId: string) => {
    const response = await graphql<{ _entities: { tariff: { code: string } | null }[] }>(
      catalog.graphqlUrl,
      entitiesQuery('Subscriber', 'tariff { code }'),
      { representations: subscriberRepresentations([subscriberId]) },
      { token: await t.tokenFor(subscriberId) },
    );
    return response.data?._entities[0]?.tariff?.code ?? null;
  };

  it('serves empty lists while the operator has published nothing', async () => {
    const response = await graphql(catalog.graphqlUrl, `{ tariffs { code } services { code } }`);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ tariffs: [], services: [] });
    expect(await catalog.runtime.database.manager.count(TariffPlanEntity)).toBe(0);
  });

  it('holds a provisioned line until a tariff is on sale, then gives it one; the offers stay as published', async () => {
    const subscriberId = randomUUID();
    // Nothing to give yet: the event is refused, so the bus keeps it for redelivery (it is not dropped).
    const provisioned = { subscriberId, kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '+77019990001', tariffCode: 'BEELINE_L' };
    await expect(t.publish('identity', 'SubscriberProvisioned', provisioned)).rejects.toThrow('no tariff on sale for MOBILE lines');
    expect(await catalog.runtime.database.manager.countBy(SubscriberLineEntity, { subscriberId })).toBe(0);

    await loadDemoOffers(catalog.runtime.database, catalog.runtime.clock);
    // The producer's relay publishes again; the held event is delivered.
    await t.bus.publish('identity', []);
    expect(await tariffOf(subscriberId)).toBe('BEELINE_L');
    const listed = await graphql<{ tariffs: { code: string }[] }>(catalog.graphqlUrl, `{ tariffs { code } }`);
    expect(listed.data!.tariffs.map((x) => x.code)).toEqual(['BEELINE_S', 'BEELINE_M', 'BEELINE_L', 'BUSINESS_PRO', 'HOME_100']);

    // A database whose offers came from an older version's start: the demo seed adds its lines, changes nothing held.
    const held = await catalog.runtime.database.manager.findOneByOrFail(SubscriberLineEntity, { subscriberId });
    const offers = await catalog.runtime.database.manager.count(TariffPlanEntity);
    await seedCatalogDemo(catalog.runtime.database, catalog.runtime.clock);
    expect(await catalog.runtime.database.manager.count(TariffPlanEntity)).toBe(offers);
    expect(await catalog.runtime.database.manager.findOneByOrFail(SubscriberLineEntity, { subscriberId })).toEqual(held);
  });

  it('serves what staff publish: a tariff created by the operator is on sale at once (terms 2.6)', async () => {
    const staff = await t.tokenFor(randomUUID(), { staff: true });
    const created = await graphql<{ createTariff: { code: string } }>(
      catalog.graphqlUrl,
      `mutation ($i: NewTariffInput!) { createTariff(input: $i) { code } }`,
      {
        i: {
          code: 'HOME_500',
          kind: 'HOME_INTERNET',
          name: { kk: 'Үй 500', ru: 'Дом 500', en: 'Home 500' },
          description: { kk: '500 Мбит/с', ru: '500 Мбит/с', en: '500 Mbit/s' },
          version: { termsVersion: '1', termsUrl: 'https://beeline.kz/terms/home-500/1', monthlyFee: '9990', switchFee: '0', allowances: [], rates: { home: { callPerMinute: '0', sms: '0', dataPerMb: '0' }, roaming: [] } },
        },
      },
      { token: staff },
    );
    expect(created.errors).toBeUndefined();
    const listed = await graphql<{ tariffs: { code: string }[] }>(catalog.graphqlUrl, `{ tariffs { code } }`);
    expect(listed.data!.tariffs.map((x) => x.code)).toContain('HOME_500');
  });
});
