import { randomUUID } from 'node:crypto';
import { DomainEvent, addDays, dailyShare, dayStart, operatorDay } from '@selfcare/shared';
import { demo, graphql, platformForSuite, publishEvent, waitFor } from '@selfcare/shared/testing';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { ConnectedServiceEntity, InventoryService, OfferCache, OfferService, ServiceEntity, createCatalogSubgraph } from '@selfcare/catalog';
import { AccountEntity, BillingSubgraph, FeeRun, FeeRunEntity, LedgerEntryEntity, LedgerEntryKind, createBillingSubgraph } from '../src';

const { aigerim, nurlan } = demo;

/**
 * The periodic-fee run (terms 3.3 and the tariff plan): each day that ended, each line's fees of that day, charged
 * exactly once per (subscriber, item, day) — repeated, overlapping or catching up after downtime — on the injected
 * clock. Catalog computes the fees from its history; billing posts them.
 */
describe('periodic fees', () => {
  let billingDefinition!: BillingSubgraph;
  const { t, billing, catalog } = platformForSuite(
    {
      delegation: createDelegationSubgraph,
      catalog: () => createCatalogSubgraph(),
      billing: () => (billingDefinition = createBillingSubgraph({ feeRunIntervalMs: 0, feeRunPageSize: 2 })),
    },
    { standInIdentity: true },
  );
  const events: DomainEvent[] = [];
  beforeAll(async () => {
    await t.bus.subscribe('billing', 'test-observer', async (event) => void events.push(event));
  });

  const manager = () => billing.runtime.database.manager;
  const accountOf = (subscriberId: string) => manager().findOneByOrFail(AccountEntity, { subscriberId });
  const feesOf = async (subscriberId: string, day?: string) => {
    const account = await accountOf(subscriberId);
    const entries = await manager().find(LedgerEntryEntity, { where: { accountId: account.id }, order: { seq: 'ASC' } });
    return entries.filter((e) => e.reference?.startsWith(day ? `fee:${day}:` : 'fee:'));
  };
  const pay = async (subscriberId: string, amountMinor: number) => {
    const account = await accountOf(subscriberId);
    await billing.runtime.database.transaction((m) =>
      billingDefinition.services.ledger.post(m, account.id, { kind: LedgerEntryKind.PAYMENT, amountMinor, description: { KK: 'Төлем', RU: 'Оплата', EN: 'Payment' }, reference: `test:${randomUUID()}` }),
    );
  };
  /** Almaty's clock at a local time of a day: 'YYYY-MM-DD', hours after midnight. */
  const setAlmaty = (day: string, hours: number) => t.clock.set(new Date(dayStart(day).getTime() + hours * 3600_000));

  it('starts with the day billing first ran on: nothing before it is charged', async () => {
    const first = await billingDefinition.services.fees.runDue();
    expect(first).toEqual([]);
    const anchor = await manager().findOneByOrFail(FeeRunEntity, { skipped: true });
    expect(anchor.day).toBe(addDays(operatorDay(t.clock.now()), -1));
    expect(await feesOf(aigerim.id)).toEqual([]);
  });

  it('charges each line its day: the tariff and every service, the day’s share of the monthly fee, once however often it runs', async () => {
    const today = operatorDay(t.clock.now()); // 2026-03-15
    setAlmaty(addDays(today, 1), 1);
    const [result] = await billingDefinition.services.fees.runDue();
    expect(result).toMatchObject({ day: today });
    const fees = await feesOf(aigerim.id, today);
    // BEELINE_M at the version in force (4 990.00 since 2025-11-01), ROAMING_PLUS 1 490.00, CALLER_ID 150.00
    expect(fees.map((e) => -e.amountMinor).sort((a, b) => a - b)).toEqual([dailyShare(15_000, today), dailyShare(149_000, today), dailyShare(499_000, today)].sort((a, b) => a - b));
    expect(fees.find((e) => -e.amountMinor === dailyShare(499_000, today))!.description.RU).toBe('Абонентская плата за 15.03.2026: Beeline M');
    // Again, and by the route, twice at once: nothing more.
    const before = (await feesOf(aigerim.id)).length;
    await billingDefinition.services.fees.runDue();
    const route = () => t.internal(billing.url, '/internal/fees/run', { body: {} }).then((r) => r.json());
    const [a, b] = await Promise.all([route(), route()]);
    expect([a, b]).toEqual([{ days: [] }, { days: [] }]);
    expect((await feesOf(aigerim.id)).length).toBe(before);
  });

  it('overlapping instances and a catch-up after downtime charge every missed day once, oldest first', async () => {
    const today = operatorDay(t.clock.now());
    setAlmaty(addDays(today, 3), 2); // three days ended unbilled
    const runtime = billing.runtime;
    const other = new FeeRun(runtime.database, billingDefinition.services.ledger, runtime.internal, runtime.clock, runtime.logger, { intervalMs: 0, pageSize: 1, leaseMs: 60_000 });
    await Promise.all([billingDefinition.services.fees.runDue(), other.runDue(), billingDefinition.services.fees.runDue()]);
    // Whichever instance got a day, every day is done.
    await other.runDue();
    await billingDefinition.services.fees.runDue();
    for (const day of [today, addDays(today, 1), addDays(today, 2)]) {
      const fees = await feesOf(aigerim.id, day);
      expect(fees).toHaveLength(3);
      expect(new Set(fees.map((f) => f.reference)).size).toBe(3);
    }
    const runs = await manager().find(FeeRunEntity, { order: { day: 'ASC' } });
    expect(runs.filter((r) => !r.skipped).every((r) => r.completedAt !== null)).toBe(true);
    // Posted in day order on each account.
    const days = (await feesOf(nurlan.id)).map((e) => e.reference!.slice(4, 14));
    expect(days).toEqual([...days].sort());
  });

  it('the day of a tariff switch is the new tariff’s; a service held for an hour pays its day once', async () => {
    const day = operatorDay(t.clock.now());
    setAlmaty(day, 10);
    await pay(nurlan.id, 1_000_000); // nurlan's balance would not cover the 500.00 switch fee
    const token = await t.tokenFor(nurlan.id);
    const order = async (mutation: string) => {
      const response = await graphql<Record<string, { status: string }>>(catalog.graphqlUrl, `mutation { ${mutation} { status } }`, {}, { token });
      return Object.values(response.data ?? {})[0]?.status ?? JSON.stringify(response.errors);
    };
    expect(await order(`changeTariff(subscriberId: "${nurlan.id}", tariffCode: "BEELINE_S", acceptedTermsVersion: "2025-11-01", idempotencyKey: "${randomUUID()}")`)).toBe('COMPLETED');
    setAlmaty(day, 11);
    expect(await order(`connectService(subscriberId: "${nurlan.id}", serviceCode: "SPAM_FILTER", acceptedTermsVersion: "2025-05-01", idempotencyKey: "${randomUUID()}")`)).toBe('COMPLETED');
    setAlmaty(day, 12);
    expect(await order(`disconnectService(subscriberId: "${nurlan.id}", serviceCode: "SPAM_FILTER", idempotencyKey: "${randomUUID()}")`)).toBe('COMPLETED');
    setAlmaty(day, 13);
    expect(await order(`connectService(subscriberId: "${nurlan.id}", serviceCode: "SPAM_FILTER", acceptedTermsVersion: "2025-05-01", idempotencyKey: "${randomUUID()}")`)).toBe('COMPLETED');
    setAlmaty(addDays(day, 1), 1);
    await billingDefinition.services.fees.runDue();
    const fees = await feesOf(nurlan.id, day);
    const catalogManager = catalog.runtime.database.manager;
    const spam = await catalogManager.findOneByOrFail(ServiceEntity, { code: 'SPAM_FILTER' });
    // BEELINE_S (not L, which the day began on), CALLER_ID, and SPAM_FILTER once though connected twice that day.
    expect(fees.map((f) => [f.reference!.split(':')[2], -f.amountMinor]).sort()).toEqual(
      [
        ['T', dailyShare(299_000, day)],
        ['S', dailyShare(15_000, day)],
        ['S', dailyShare(29_000, day)],
      ].sort(),
    );
    expect(fees.filter((f) => f.reference === `fee:${day}:S:${spam.id}`)).toHaveLength(1);
    expect(await catalogManager.countBy(ConnectedServiceEntity, { subscriberId: nurlan.id, serviceId: spam.id })).toBe(2);
  });

  it('publishes DebtIncurred when a day’s fees take the balance below minus the credit limit', async () => {
    const day = operatorDay(t.clock.now());
    const account = await accountOf(aigerim.id);
    // Spend aigerim's balance down to a tiyn.
    await billing.runtime.database.transaction((m) =>
      billingDefinition.services.ledger.post(m, account.id, { kind: LedgerEntryKind.CHARGE, amountMinor: -(account.balanceMinor - 1), description: { KK: 'c', RU: 'c', EN: 'c' }, reference: `test:${randomUUID()}` }),
    );
    setAlmaty(addDays(day, 1), 1);
    await billingDefinition.services.fees.runDue();
    await waitFor(() => events.some((e) => e.type === 'DebtIncurred' && e.payload.subscriberId === aigerim.id), 5000, 'DebtIncurred');
    expect((await accountOf(aigerim.id)).inDebt).toBe(true);
  });

  it('no fees for the days after a contract ended; the day it ended is charged', async () => {
    const day = operatorDay(t.clock.now());
    setAlmaty(day, 9);
    await publishEvent(t.bus, 'identity', 5000, 'AccessStatusChanged', {
      subscriberId: nurlan.id,
      status: 'TERMINATED',
      reason: 'CONTRACT_ENDED',
      previousStatus: 'ACTIVE',
      previousReason: null,
      changedAt: t.clock.now().toISOString(),
    });
    setAlmaty(addDays(day, 2), 1);
    await billingDefinition.services.fees.runDue();
    expect((await feesOf(nurlan.id, day)).length).toBeGreaterThan(0);
    expect(await feesOf(nurlan.id, addDays(day, 1))).toEqual([]);
  });

  it('a line billing has no account for holds the day back until it has one', async () => {
    const line = randomUUID();
    const day = operatorDay(t.clock.now());
    // Only the catalog hears of it (billing's SubscriberProvisioned has not arrived).
    await provisionInCatalogOnly(line);
    setAlmaty(addDays(day, 1), 1);
    expect(await billingDefinition.services.fees.runDue()).toEqual([]);
    const open = await manager().findOneByOrFail(FeeRunEntity, { day });
    expect(open.completedAt).toBeNull();
    await billing.runtime.database.transaction((m) => billingDefinition.services.ledger.openAccount(m, { subscriberId: line, kind: 'MOBILE', partyType: 'INDIVIDUAL' }));
    expect((await billingDefinition.services.fees.runDue()).map((r) => r.day)).toEqual([day]);
    expect((await feesOf(line, day)).length).toBe(1);
  });

  /** Provisions a line in the catalog alone, as its consumer does, as if billing had not yet heard of it. */
  async function provisionInCatalogOnly(subscriberId: string): Promise<void> {
    const runtime = catalog.runtime;
    const inventory = new InventoryService(runtime.database, runtime.accessPolicy, new OfferService(runtime.database, new OfferCache(runtime.database)), runtime.clock, runtime.logger);
    await runtime.database.transaction((m) => inventory.provision(m, { subscriberId, kind: 'MOBILE', partyType: 'INDIVIDUAL', tariffCode: 'BEELINE_S' }));
  }
});
