import { Database, EventTablesMigration, InboxEventEntity, OutboxEventEntity, createLogger, runSubgraph } from '@selfcare/shared';
import { createTestDatabase, createTestPlatform, demo } from '@selfcare/shared/testing';
import { CatalogInitial1764100000000 } from '../src/migrations/1764100000000-catalog-initial';
import { TariffPeriodEntity, createCatalogSubgraph } from '../src';

/**
 * A catalog database of the release before orders upgrades in place: only the orders migration runs, every line gets
 * one open tariff period from its `tariff_since` (what fees and rating read), and the lines keep reading as before.
 */
test('an existing catalog database migrates: tariff periods backfilled from the lines, rows written before still read', async () => {
  const database = await createTestDatabase('catalog');
  const t = await createTestPlatform({ now: new Date(), standInIdentity: true });
  try {
    const before = new Database({
      service: 'catalog',
      url: database.url,
      entities: [OutboxEventEntity, InboxEventEntity],
      migrations: [EventTablesMigration, CatalogInitial1764100000000],
      migrateOnOpen: true,
      logger: createLogger('catalog', 'warn'),
    });
    await before.open();
    await before.dataSource.query(
      `INSERT INTO tariff_plans (id, code, kind, party_type, name, description, active, sort_order, current_version_id, created_at, updated_at)
       VALUES ('00000000-0000-4000-8000-00000000000a', 'OLD_TARIFF', 'MOBILE', NULL, '{"KK":"Ескі","RU":"Старый","EN":"Old"}', '{"KK":"-","RU":"-","EN":"-"}', 1, 1, '00000000-0000-4000-8000-00000000000b', '2025-01-01 00:00:00.000', '2025-01-01 00:00:00.000')`,
    );
    await before.dataSource.query(
      `INSERT INTO tariff_plan_versions (id, tariff_plan_id, terms_version, terms_url, monthly_fee_minor, switch_fee_minor, allowances, effective_from, created_at)
       VALUES ('00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000a', '2025-01', 'https://beeline.kz/old', 100000, 0, '[]', '2025-01-01 00:00:00.000', '2025-01-01 00:00:00.000')`,
    );
    await before.dataSource.query(
      `INSERT INTO subscriber_lines (subscriber_id, kind, party_type, tariff_plan_id, tariff_version_id, tariff_since, created_at, updated_at)
       VALUES (?, 'MOBILE', 'INDIVIDUAL', '00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '2025-02-03 04:05:06.789', '2025-02-03 04:05:06.789', '2025-02-03 04:05:06.789')`,
      [demo.aigerim.id],
    );
    await before.close();

    const running = await runSubgraph(createCatalogSubgraph(), t.platform, { port: 0, host: '127.0.0.1', databaseUrl: database.url, migrateOnOpen: true, seedDemoData: false, logger: createLogger('catalog', 'warn') });
    try {
      expect(running.runtime.database.appliedOnOpen).toEqual(['CatalogOrders1764600000000', 'CatalogOfferGeneration1765100000000']);
      const periods = await running.runtime.database.manager.find(TariffPeriodEntity, { where: { subscriberId: demo.aigerim.id } });
      expect(periods.map((p) => [p.tariffPlanId, p.tariffVersionId, p.startsAt.toISOString(), p.endsAt])).toEqual([
        ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '2025-02-03T04:05:06.789Z', null],
      ]);
      const plans = (await (await t.internal(running.url, '/internal/lines/plans-at', { body: { items: [{ subscriberId: demo.aigerim.id, at: new Date().toISOString() }] } })).json()) as { plans: any[] };
      expect(plans.plans[0]).toMatchObject({ tariffCode: 'OLD_TARIFF', termsVersion: '2025-01', rates: null });
    } finally {
      await running.stop();
    }
  } finally {
    await t.stop();
    await database.drop();
  }
});
