import { randomUUID } from 'node:crypto';
import { MAX_PLANS_AT, dayStart, linePlanAt } from '@selfcare/shared';
import { demo, graphql, platformForSuite } from '@selfcare/shared/testing';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { createBillingSubgraph } from '@selfcare/billing';
import { SubscriberLineEntity, TariffPeriodEntity, createCatalogSubgraph } from '../src';

/** The catalog's background rounds (order recovery, holder jobs) would add statements to the counts. */
const QUIET = { orderRecoveryIntervalMs: 3_600_000, holderJobPollMs: 3_600_000 };

const { aigerim, nurlan, home } = demo;

/**
 * What detailing will rate usage against (catalog's plan, versioned): POST /internal/lines/plans-at answers, for each
 * (line, instant), the tariff version in force, its rates, and the allowance period containing the instant — the
 * Almaty month, cut at a tariff switch, its allowances pro rata by the days it touches. And the daily fees' pages.
 */
describe('plans at an instant and daily fees (catalog’s internal API)', () => {
  const { t, catalog } = platformForSuite(
    { delegation: createDelegationSubgraph, billing: () => createBillingSubgraph({ feeRunIntervalMs: 0 }), catalog: () => createCatalogSubgraph(QUIET) },
    { standInIdentity: true },
  );
  const at = (day: string, hours: number) => new Date(dayStart(day).getTime() + hours * 3600_000).toISOString();
  const plansAt = async (items: { subscriberId: string; at: string }[]) => {
    const response = await t.internal(catalog.url, '/internal/lines/plans-at', { body: { items } });
    return { status: response.status, body: (await response.json()) as { plans: any[] } };
  };

  it('answers the version in force, its rates and the operator’s app rule, and the whole Almaty month as the allowance period', async () => {
    const { body } = await plansAt([{ subscriberId: aigerim.id, at: at('2026-03-15', 14) }, { subscriberId: randomUUID(), at: at('2026-03-15', 14) }]);
    expect(body.plans[1]).toBeNull();
    const plan = linePlanAt.parse(body.plans[0]);
    expect(plan).toMatchObject({
      subscriberId: aigerim.id,
      kind: 'MOBILE',
      tariffCode: 'BEELINE_M',
      // aigerim accepted 2025-03-01; the operator's 2025-11-01 version is in force for the lines on it since then (terms 2.6)
      termsVersion: '2025-11-01',
      tariffPeriod: { end: null },
      allowancePeriod: { start: '2026-02-28T19:00:00.000Z', end: '2026-03-31T19:00:00.000Z' },
      allowances: [
        { unit: 'MINUTES', amount: 500, monthlyAmount: 500 },
        { unit: 'SMS', amount: 100, monthlyAmount: 100 },
        { unit: 'MEGABYTES', amount: 30720, monthlyAmount: 30720 },
      ],
      operatorAppData: { homePerMbMinor: 0, roaming: 'ZONE_DATA_RATE' },
    });
    expect(plan.rates!.home).toEqual({ callPerMinuteMinor: 2500, smsMinor: 1500, dataPerMbMinor: 500 });
    expect(plan.rates!.roaming.map((z) => z.zone)).toEqual(['CIS', 'EUROPE', 'WORLD']);
    const homePlan = (await plansAt([{ subscriberId: home.id, at: at('2026-03-15', 14) }])).body.plans[0];
    expect(homePlan).toMatchObject({ kind: 'HOME_INTERNET', tariffCode: 'HOME_100', allowances: [], rates: { roaming: [] } });
  });

  it('before the line existed there is no plan; after a tariff switch each side has its own period, allowances pro rata by the days each touches', async () => {
    const line = await catalog.runtime.database.manager.findOneByOrFail(SubscriberLineEntity, { subscriberId: nurlan.id });
    expect((await plansAt([{ subscriberId: nurlan.id, at: new Date(line.tariffSince.getTime() - 1).toISOString() }])).body.plans).toEqual([null]);

    t.clock.set(new Date(at('2026-03-20', 10)));
    // nurlan's 150.00 does not cover the 500.00 switch fee; a line with funds: aigerim (2 500.00) to BEELINE_S.
    const switched = await graphql<any>(
      catalog.graphqlUrl,
      `mutation { changeTariff(subscriberId: "${aigerim.id}", tariffCode: "BEELINE_S", acceptedTermsVersion: "2025-11-01", idempotencyKey: "${randomUUID()}") { status } }`,
      {},
      { token: await t.tokenFor(aigerim.id) },
    );
    expect(switched.data.changeTariff.status).toBe('COMPLETED');
    const periods = await catalog.runtime.database.manager.find(TariffPeriodEntity, { where: { subscriberId: aigerim.id }, order: { startsAt: 'ASC' } });
    expect(periods.map((p) => [p.endsAt?.toISOString() ?? null, !!p.orderId])).toEqual([
      [at('2026-03-20', 10), false],
      [null, true],
    ]);
    const { body } = await plansAt([
      { subscriberId: aigerim.id, at: at('2026-03-10', 9) },
      { subscriberId: aigerim.id, at: at('2026-03-25', 9) },
      { subscriberId: aigerim.id, at: at('2026-04-02', 9) },
    ]);
    const [before, after, nextMonth] = body.plans;
    // March has 31 days: the old tariff's period touches 1–20 March, the new one's 20–31 (the switch day counts for both).
    expect(before).toMatchObject({ tariffCode: 'BEELINE_M', allowancePeriod: { start: '2026-02-28T19:00:00.000Z', end: at('2026-03-20', 10) } });
    expect(before.allowances[0]).toEqual({ unit: 'MINUTES', amount: Math.floor((500 * 20) / 31), monthlyAmount: 500 });
    expect(after).toMatchObject({ tariffCode: 'BEELINE_S', tariffPeriod: { start: at('2026-03-20', 10), end: null }, allowancePeriod: { start: at('2026-03-20', 10), end: '2026-03-31T19:00:00.000Z' } });
    expect(after.allowances[0]).toEqual({ unit: 'MINUTES', amount: Math.floor((200 * 12) / 31), monthlyAmount: 200 });
    expect(nextMonth.allowances[0]).toEqual({ unit: 'MINUTES', amount: 200, monthlyAmount: 200 });
    expect(nextMonth.allowancePeriod).toEqual({ start: '2026-03-31T19:00:00.000Z', end: '2026-04-30T19:00:00.000Z' });
  });

  it('answers 500 items in a handful of statements, and refuses more than 500', async () => {
    const items = Array.from({ length: MAX_PLANS_AT }, (_, i) => ({ subscriberId: i % 2 ? aigerim.id : randomUUID(), at: at('2026-03-15', i % 24) }));
    // Statements on the tables the answer reads (the relay's rounds touch none of them): constant, however many items.
    const counter = catalog.runtime.database.counter;
    const log = counter.logQuery.bind(counter);
    const seen: string[] = [];
    counter.logQuery = (query: string, ...rest: unknown[]) => {
      if (/subscriber_lines|tariff_periods|tariff_plans|tariff_plan_versions|offer_generation/.test(query)) seen.push(query);
      return (log as (...args: unknown[]) => void)(query, ...rest);
    };
    try {
      const { status, body } = await plansAt(items);
      expect(status).toBe(200);
      expect(body.plans).toHaveLength(MAX_PLANS_AT);
      // lines, tariff periods, the offers' generation (tariffs and versions come from the OfferCache)
      expect(seen).toHaveLength(3);
    } finally {
      counter.logQuery = log;
    }
    expect((await plansAt([...items, items[0]!])).status).toBe(400);
    expect((await plansAt([{ subscriberId: aigerim.id, at: 'yesterday' }])).status).toBe(400);
    expect((await t.internal(catalog.url, '/internal/lines/plans-at', { body: { items: [] }, token: null })).status).toBe(401);
  });

  it('pages a day’s fees by line, every line once, whatever the page size', async () => {
    const all: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const response = await t.internal(catalog.url, '/internal/fees/daily', { body: { day: '2026-03-21', afterSubscriberId: after, limit: 2 } });
      const body = (await response.json()) as { fees: { subscriberId: string; item: string; amountMinor: number }[]; nextAfter: string | null };
      all.push(...body.fees.map((f) => `${f.subscriberId}/${f.item}`));
      if (!body.nextAfter) break;
      after = body.nextAfter;
    }
    const whole = (await (await t.internal(catalog.url, '/internal/fees/daily', { body: { day: '2026-03-21', limit: 500 } })).json()) as { fees: { subscriberId: string; item: string }[]; nextAfter: null };
    expect(whole.nextAfter).toBeNull();
    expect(all.sort()).toEqual(whole.fees.map((f) => `${f.subscriberId}/${f.item}`).sort());
    expect(new Set(all).size).toBe(all.length);
    expect((await t.internal(catalog.url, '/internal/fees/daily', { body: { day: '2026-02-30', limit: 5 } })).status).toBe(400);
    expect((await t.internal(catalog.url, '/internal/fees/daily', { body: { day: '2026-03-21', limit: 501 } })).status).toBe(400);
  });
});
