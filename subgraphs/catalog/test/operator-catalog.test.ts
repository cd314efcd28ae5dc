import { randomUUID } from 'node:crypto';
import { IsNull } from 'typeorm';
import { DomainEvent, dayStart } from '@selfcare/shared';
import { demo, errorCodes, graphql, platformForSuite, waitFor } from '@selfcare/shared/testing';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { createBillingSubgraph } from '@selfcare/billing';
import { CatalogSubgraph, ConnectedServiceEntity, SubscriberLineEntity, TariffPlanEntity, createCatalogSubgraph } from '../src';

const { aigerim, nurlan, steppe, unregistered } = demo;

const RATES = { home: { callPerMinute: '20.00', sms: '10', dataPerMb: '4.50' }, roaming: [{ zone: 'CIS', callPerMinute: '150', sms: '50', dataPerMb: '100' }] };
const TEXT = (name: string) => ({ kk: `${name} (kk)`, ru: `${name} (ru)`, en: name });

/**
 * The operator's catalog (terms 2.6): staff create offers, publish versions (price, terms, allowances, rates,
 * compatibility), retire them (holders keep them at their price) and make them obsolete (holders moved off); each in
 * the change log; a change reaching holders is told to each (terms 2.8) and entered in their activity record (terms 2.4).
 */
describe('the operator’s catalog', () => {
  let definition!: CatalogSubgraph;
  const { t, catalog } = platformForSuite(
    {
      delegation: createDelegationSubgraph,
      billing: () => createBillingSubgraph({ feeRunIntervalMs: 0 }),
      // One holder per batch: the holder jobs' cursor is exercised on every change.
      catalog: () => (definition = createCatalogSubgraph({ holderBatchSize: 1 })),
    },
    { standInIdentity: true, relayPollMs: 50 },
  );
  const events: DomainEvent[] = [];
  let staff = '';
  beforeAll(async () => {
    await t.bus.subscribe('catalog', 'test-observer', async (event) => void events.push(event));
    staff = await t.tokenFor(randomUUID(), { staff: true });
  });
  const gql = (query: string, variables: Record<string, unknown> = {}, token: string | null = staff, language?: string) =>
    graphql<any>(catalog.graphqlUrl, query, variables, { ...(token ? { token } : {}), ...(language ? { language } : {}) });
  const tariffVersion = (termsVersion: string, extra: Record<string, unknown> = {}) => ({
    termsVersion,
    termsUrl: `https://beeline.kz/terms/${termsVersion}`,
    monthlyFee: '3100',
    switchFee: '0',
    allowances: [{ unit: 'MINUTES', amount: 300 }],
    rates: RATES,
    ...extra,
  });
  const noticesFor = (subscriberId: string, key: string) => events.filter((e) => e.type === 'SubscriberNotificationRequested' && e.payload.subscriberId === subscriberId && e.payload.key === key);
  const drained = () => waitFor(async () => (await definition.services.admin.pendingJobs()) === 0, 10_000, 'holder jobs done');

  it('is staff only', async () => {
    const mutation = `mutation ($i: NewTariffInput!) { createTariff(input: $i) { code } }`;
    const input = { code: 'BEELINE_XS', kind: 'MOBILE', name: TEXT('XS'), description: TEXT('Small'), version: tariffVersion('xs-1') };
    expect(errorCodes(await gql(mutation, { i: input }, await t.tokenFor(aigerim.id)))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(mutation, { i: input }, null))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await gql(`{ allTariffs { code } }`, {}, await t.tokenFor(aigerim.id)))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(`{ tariffs { code changes { edges { cursor } } } }`, {}, await t.tokenFor(aigerim.id)))).toContain('FORBIDDEN');
  });

  it('creates a tariff with its rates, on sale at once, shown in the caller’s language, and in the change log', async () => {
    const created = await gql(`mutation ($i: NewTariffInput!) { createTariff(input: $i) { code name status monthlyFee { amount } termsVersion rates { home { dataPerMb { amount } } roaming { zone sms { amount } } operatorAppData { homePerMb { amount } roaming } } } }`, {
      i: { code: 'BEELINE_XS', kind: 'MOBILE', name: TEXT('XS'), description: TEXT('Small'), sortOrder: 5, version: tariffVersion('xs-1') },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data.createTariff).toEqual({
      code: 'BEELINE_XS',
      name: 'XS (ru)',
      status: 'ON_SALE',
      monthlyFee: { amount: '3100.00' },
      termsVersion: 'xs-1',
      rates: { home: { dataPerMb: { amount: '4.50' } }, roaming: [{ zone: 'CIS', sms: { amount: '50.00' } }], operatorAppData: { homePerMb: { amount: '0.00' }, roaming: 'ZONE_DATA_RATE' } },
    });
    const listed = await gql(`{ tariffs(kind: MOBILE) { code name } }`, {}, null, 'kk');
    expect(listed.data.tariffs[0]).toEqual({ code: 'BEELINE_XS', name: 'XS (kk)' });
    const log = await gql(`{ allTariffs { code changes(first: 5) { edges { node { action staffRole details } } } } }`);
    const xs = log.data.allTariffs.find((x: any) => x.code === 'BEELINE_XS');
    expect(xs.changes.edges.map((e: any) => e.node)).toEqual([{ action: 'TARIFF_CREATED', staffRole: 'OPERATOR', details: expect.stringContaining('Created the MOBILE tariff BEELINE_XS "XS"') }]);
  });

  it('refuses bad input with BAD_USER_INPUT naming the field, a taken code with CONFLICT', async () => {
    const create = (input: Record<string, unknown>) => gql(`mutation ($i: NewTariffInput!) { createTariff(input: $i) { code } }`, { i: { code: 'BEELINE_XX', kind: 'MOBILE', name: TEXT('XX'), description: TEXT('d'), version: tariffVersion('xx-1'), ...input } });
    const field = async (input: Record<string, unknown>) => (await create(input)).errors?.[0]?.extensions?.field;
    expect(await field({ code: 'lower' })).toBe('code');
    expect(await field({ name: { kk: '', ru: 'x', en: 'x' } })).toBe('name');
    expect(await field({ version: tariffVersion('xx-1', { termsUrl: 'http://beeline.kz/x' }) })).toBe('termsUrl');
    expect(await field({ version: tariffVersion('xx-1', { monthlyFee: '-1' }) })).toBe('monthlyFee');
    expect(await field({ version: tariffVersion('xx-1', { monthlyFee: '1.005' }) })).toBe('monthlyFee');
    expect(await field({ version: tariffVersion('xx-1', { rates: { ...RATES, roaming: [] } }) })).toBe('rates');
    expect(await field({ version: tariffVersion('xx-1', { rates: { ...RATES, roaming: [RATES.roaming[0], RATES.roaming[0]] } }) })).toBe('rates');
    expect(await field({ version: tariffVersion('xx-1', { allowances: [{ unit: 'SMS', amount: 1 }, { unit: 'SMS', amount: 2 }] }) })).toBe('allowances');
    expect(await field({ version: tariffVersion('xx-1', { effectiveFrom: new Date(t.clock.now().getTime() - 3_600_000).toISOString() }) })).toBe('effectiveFrom');
    expect(errorCodes(await create({ code: 'BEELINE_M' }))).toEqual(['CONFLICT']);
  });

  it('a new version of a held tariff: sold at once, in force for its lines from effectiveFrom, told to each of them', async () => {
    const effectiveFrom = dayStart('2026-04-01');
    const published = await gql(`mutation ($v: TariffVersionInput!) { publishTariffVersion(code: "BEELINE_M", version: $v) { termsVersion monthlyFee { amount } } }`, {
      v: { ...tariffVersion('2026-04-01', { monthlyFee: '5490', switchFee: '500', allowances: [{ unit: 'MINUTES', amount: 600 }] }), effectiveFrom: effectiveFrom.toISOString() },
    });
    expect(published.data.publishTariffVersion).toEqual({ termsVersion: '2026-04-01', monthlyFee: { amount: '5490.00' } });
    // New orders accept the new terms at once.
    const token = await t.tokenFor(nurlan.id);
    const old = await graphql<any>(catalog.graphqlUrl, `mutation { changeTariff(subscriberId: "${nurlan.id}", tariffCode: "BEELINE_M", acceptedTermsVersion: "2025-11-01", idempotencyKey: "${randomUUID()}") { status } }`, {}, { token });
    expect(old.errors![0]!.extensions).toMatchObject({ code: 'TERMS_NOT_ACCEPTED', currentTermsVersion: '2026-04-01' });
    // Its holders are told, each once, and it is in their activity record as the staff member's.
    await drained();
    const version = (await catalog.runtime.database.manager.findOneOrFail(TariffPlanEntity, { where: { code: 'BEELINE_M' } })).currentVersionId!;
    await waitFor(() => noticesFor(aigerim.id, `offer-version:${version}`).length === 1, 5000, 'the holder’s notice');
    const notice = noticesFor(aigerim.id, `offer-version:${version}`)[0]!.payload as any;
    expect(notice.texts.RU).toEqual({ title: 'Новые условия тарифа «Beeline M»', body: 'С 01.04.2026 на тарифе «Beeline M» действуют условия 2026-04-01: абонентская плата 5490.00 ₸ в месяц. Подробнее: https://beeline.kz/terms/2026-04-01' });
    await waitFor(() => events.some((e) => e.type === 'ActivityRecorded' && e.payload.subscriberId === aigerim.id && e.payload.action === 'TARIFF_TERMS_CHANGED' && e.payload.actorKind === 'STAFF'), 5000, 'the change in aigerim’s record');
    expect(noticesFor(nurlan.id, `offer-version:${version}`)).toHaveLength(0); // not on it
    // Fees: the old price before effectiveFrom, the new one from it; rating likewise.
    const fee = async (day: string) => {
      const body = (await (await t.internal(catalog.url, '/internal/fees/daily', { body: { day, limit: 500 } })).json()) as { fees: { subscriberId: string; offerCode: string; monthlyFeeMinor: number }[] };
      return body.fees.find((f) => f.subscriberId === aigerim.id && f.offerCode === 'BEELINE_M')?.monthlyFeeMinor;
    };
    expect(await fee('2026-03-31')).toBe(499_000);
    expect(await fee('2026-04-01')).toBe(549_000);
    const plans = (await (await t.internal(catalog.url, '/internal/lines/plans-at', { body: { items: [{ subscriberId: aigerim.id, at: '2026-03-25T06:00:00Z' }, { subscriberId: aigerim.id, at: '2026-04-02T06:00:00Z' }] } })).json()) as { plans: any[] };
    expect(plans.plans.map((p) => p.termsVersion)).toEqual(['2025-11-01', '2026-04-01']);
    // A version can come in force only after the earlier ones.
    const early = await gql(`mutation ($v: TariffVersionInput!) { publishTariffVersion(code: "BEELINE_M", version: $v) { termsVersion } }`, { v: tariffVersion('2026-03-20') });
    expect(early.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'effectiveFrom' });
  });

  it('creates a service with its compatibility; retires one — not sold, holders keep it and keep paying', async () => {
    const created = await gql(`mutation ($i: NewServiceInput!) { createService(input: $i) { code status connectionFee { amount } } }`, {
      i: {
        code: 'ESIM',
        category: 'MOBILE',
        name: TEXT('eSIM'),
        description: TEXT('A second profile'),
        version: { termsVersion: 'esim-1', termsUrl: 'https://beeline.kz/terms/esim', connectionFee: '990', monthlyFee: '0', availability: [{ kind: 'MOBILE', tariffCodes: ['BEELINE_XS', 'BEELINE_S'] }], conflictsWith: ['CALLER_ID'] },
      },
    });
    expect(created.data.createService).toEqual({ code: 'ESIM', status: 'ON_SALE', connectionFee: { amount: '990.00' } });
    const bad = await gql(`mutation ($i: NewServiceInput!) { createService(input: $i) { code } }`, {
      i: { code: 'ESIM2', category: 'MOBILE', name: TEXT('e'), description: TEXT('e'), version: { termsVersion: '1', termsUrl: 'https://x.kz/1', connectionFee: '0', monthlyFee: '0', availability: [{ kind: 'HOME_INTERNET', tariffCodes: ['BEELINE_S'] }], conflictsWith: [] } },
    });
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'availability' });
    const unknown = await gql(`mutation ($i: NewServiceInput!) { createService(input: $i) { code } }`, {
      i: { code: 'ESIM2', category: 'MOBILE', name: TEXT('e'), description: TEXT('e'), version: { termsVersion: '1', termsUrl: 'https://x.kz/1', connectionFee: '0', monthlyFee: '0', availability: [{ kind: 'MOBILE' }], conflictsWith: ['NOPE'] } },
    });
    expect(unknown.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'conflictsWith' });

    // Retired: CALLER_ID (aigerim, nurlan hold it) is not sold any more; they keep it at its price.
    expect((await gql(`mutation { retireService(code: "CALLER_ID") { status } }`)).data.retireService).toEqual({ status: 'RETIRED' });
    expect(errorCodes(await gql(`mutation { retireService(code: "CALLER_ID") { status } }`))).toEqual(['CONFLICT']);
    expect((await gql(`{ services { code } }`, {}, null)).data.services.map((s: any) => s.code)).not.toContain('CALLER_ID');
    const connect = await graphql<any>(catalog.graphqlUrl, `mutation { connectService(subscriberId: "${unregistered.id}", serviceCode: "CALLER_ID", acceptedTermsVersion: "2025-01-15", idempotencyKey: "${randomUUID()}") { status } }`, {}, { token: await t.tokenFor(unregistered.id) });
    expect(connect.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'SERVICE_NOT_SOLD' });
    expect(await catalog.runtime.database.manager.countBy(ConnectedServiceEntity, { subscriberId: aigerim.id, disconnectedAt: IsNull() })).toBeGreaterThan(0);
    const fees = (await (await t.internal(catalog.url, '/internal/fees/daily', { body: { day: '2026-03-16', limit: 500 } })).json()) as { fees: { subscriberId: string; offerCode: string }[] };
    expect(fees.fees.some((f) => f.subscriberId === aigerim.id && f.offerCode === 'CALLER_ID')).toBe(true);
  });

  it('an obsolete service ends every connection of it; an obsolete tariff moves its lines to the replacement; each holder told', async () => {
    expect((await gql(`mutation { makeServiceObsolete(code: "ROAMING_PLUS") { status } }`)).data.makeServiceObsolete).toEqual({ status: 'OBSOLETE' });
    await drained();
    const manager = catalog.runtime.database.manager;
    for (const holder of [aigerim.id, steppe.id]) {
      const open = await manager.query('SELECT COUNT(*) AS n FROM connected_services c JOIN services s ON s.id = c.service_id WHERE c.subscriber_id = ? AND s.code = ? AND c.disconnected_at IS NULL', [holder, 'ROAMING_PLUS']);
      expect(Number(open[0].n)).toBe(0);
      await waitFor(() => events.some((e) => e.type === 'SubscriberNotificationRequested' && e.payload.subscriberId === holder && String(e.payload.key).startsWith('service-obsolete:')), 5000, 'notice');
    }
    expect(errorCodes(await gql(`mutation { makeTariffObsolete(code: "BEELINE_L", replacementCode: "HOME_100") { status } }`))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(`mutation { makeTariffObsolete(code: "BEELINE_L", replacementCode: "NOPE") { status } }`))).toEqual(['NOT_FOUND']);
    expect((await gql(`mutation { makeTariffObsolete(code: "BEELINE_L", replacementCode: "BEELINE_XS") { status } }`)).data.makeTariffObsolete).toEqual({ status: 'OBSOLETE' });
    await drained();
    const line = await manager.findOneByOrFail(SubscriberLineEntity, { subscriberId: nurlan.id });
    const xs = await manager.findOneByOrFail(TariffPlanEntity, { code: 'BEELINE_XS' });
    expect(line.tariffPlanId).toBe(xs.id);
    await waitFor(() => events.some((e) => e.type === 'ActivityRecorded' && e.payload.subscriberId === nurlan.id && e.payload.action === 'TARIFF_CHANGED' && e.payload.actorKind === 'STAFF'), 5000, 'the move in nurlan’s record');
    expect(errorCodes(await gql(`mutation ($v: TariffVersionInput!) { publishTariffVersion(code: "BEELINE_L", version: $v) { code } }`, { v: tariffVersion('l-2') }))).toEqual(['CONFLICT']);
    const changes = await gql(`{ allTariffs { code status changes { edges { node { action } } } } }`);
    expect(changes.data.allTariffs.find((x: any) => x.code === 'BEELINE_L')).toEqual({ code: 'BEELINE_L', status: 'OBSOLETE', changes: { edges: [{ node: { action: 'TARIFF_MADE_OBSOLETE' } }] } });
  });
});
