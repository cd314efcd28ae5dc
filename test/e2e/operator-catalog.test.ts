import { eventually, suiteFixture } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';
import { connect, loginDemo, products, staffToken } from '../support/orders';

const RATES = { home: { callPerMinute: '25', sms: '15', dataPerMb: '5' }, roaming: [{ zone: 'WORLD', callPerMinute: '990', sms: '150', dataPerMb: '990' }] };

/**
 * The operator's catalog through the gateway (terms 2.6, 2.8, 2.4): staff publish a new version of a held service —
 * its holders read the notice in their cabinet in their language and the change in their activity record, with the
 * staff member as actor; a retired service is not sold while its holders keep it; everything in the offer's change log.
 */
describe('the operator’s catalog through the gateway', () => {
  const t = suiteFixture(() => TestSystem.start());

  it('a new version of a held service reaches each holder (cabinet notice in their language, activity record) and orders must accept it', async () => {
    const operator = await staffToken(t);
    const published = await t.graphql<any>(
      `mutation ($v: ServiceVersionInput!) { publishServiceVersion(code: "CALLER_ID", version: $v) { code termsVersion monthlyFee { amount } status } }`,
      { v: { termsVersion: '2026-05-01', termsUrl: 'https://beeline.kz/terms/services/caller-id/2026-05-01', connectionFee: '0', monthlyFee: '190', availability: [{ kind: 'MOBILE' }], conflictsWith: [], effectiveFrom: new Date(Date.now() + 30 * 86_400_000).toISOString() } },
      { token: operator },
    );
    expect(published.data.publishServiceVersion).toEqual({ code: 'CALLER_ID', termsVersion: '2026-05-01', monthlyFee: { amount: '190.00' }, status: 'ON_SALE' });

    // nurlan (kk) holds CALLER_ID: told in Kazakh, in the cabinet (his notifyBy), and it is in his record.
    const nurlan = await loginDemo(t, 'nurlan');
    const notice = await eventually(
      async () => (await t.graphql<any>(`{ me { notifications(first: 10) { edges { node { title body } } } } }`, {}, { token: nurlan.accessToken })).data?.me.notifications.edges.map((e: any) => e.node) ?? [],
      (nodes: any[]) => nodes.some((n) => n.title === '«Нөмірді анықтағыш» қызметінің шарттары өзгерді'),
    );
    expect(notice.find((n: any) => n.title.startsWith('«Нөмірді анықтағыш»')).body).toContain('ай сайынғы төлем 190.00 ₸');
    const activity = await eventually(
      async () => (await t.graphql<any>(`{ me { activity(first: 10) { edges { node { action actorKind details } } } } }`, {}, { token: nurlan.accessToken, language: 'en' })).data?.me.activity.edges.map((e: any) => e.node) ?? [],
      (nodes: any[]) => nodes.some((n) => n.action === 'SERVICE_TERMS_CHANGED'),
    );
    expect(activity.find((n: any) => n.action === 'SERVICE_TERMS_CHANGED')).toMatchObject({ actorKind: 'STAFF', details: expect.stringContaining('New terms of the service "Caller ID"') });

    // The terms on sale are the new ones: an order must accept them.
    const steppe = await loginDemo(t, 'steppe');
    const old = await connect(t, steppe.accessToken, steppe.subscriberId, 'CALLER_ID', '2025-01-15');
    expect(old.errors![0]!.extensions).toMatchObject({ code: 'TERMS_NOT_ACCEPTED', currentTermsVersion: '2026-05-01' });
    expect((await connect(t, steppe.accessToken, steppe.subscriberId, 'CALLER_ID', '2026-05-01')).data!.connectService).toMatchObject({ status: 'COMPLETED', acceptedPrice: { amount: '190.00' } });
  });

  it('a new tariff is sold at once; a retired service is not, while its holders keep it; the change log names the staff', async () => {
    const admin = await staffToken(t, 'admin');
    const created = await t.graphql<any>(
      `mutation ($i: NewTariffInput!) { createTariff(input: $i) { code name } }`,
      {
        i: {
          code: 'BEELINE_XL',
          kind: 'MOBILE',
          name: { kk: 'Beeline XL', ru: 'Beeline XL', en: 'Beeline XL' },
          description: { kk: 'Ең үлкен пакет', ru: 'Самый большой пакет', en: 'The biggest package' },
          version: { termsVersion: '2026-03-01', termsUrl: 'https://beeline.kz/terms/tariffs/beeline-xl/2026-03-01', monthlyFee: '11990', switchFee: '500', allowances: [{ unit: 'MINUTES', amount: 5000 }], rates: RATES },
        },
      },
      { token: admin },
    );
    expect(created.errors).toBeUndefined();
    const listed = await t.graphql<any>(`{ tariffs(kind: MOBILE) { code description } }`, {}, { language: 'en' });
    expect(listed.data.tariffs.find((x: any) => x.code === 'BEELINE_XL')).toEqual({ code: 'BEELINE_XL', description: 'The biggest package' });

    expect((await t.graphql<any>(`mutation { retireService(code: "ROAMING_PLUS") { status } }`, {}, { token: admin })).data.retireService.status).toBe('RETIRED');
    const nurlan = await loginDemo(t, 'nurlan');
    expect((await connect(t, nurlan.accessToken, nurlan.subscriberId, 'ROAMING_PLUS', '2025-10-01')).errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'SERVICE_NOT_SOLD' });
    const aigerim = await loginDemo(t, 'aigerim');
    expect((await products(t, aigerim.accessToken, null)).services.map((s) => s.service.code)).toContain('ROAMING_PLUS');
    const available = await t.graphql<any>(`{ me { availableServices { code } } }`, {}, { token: nurlan.accessToken });
    expect(available.data.me.availableServices.map((s: any) => s.code)).not.toContain('ROAMING_PLUS');

    const log = await t.graphql<any>(`{ allServices { code status changes(first: 3) { edges { node { action staffRole } } } } }`, {}, { token: admin });
    expect(log.data.allServices.find((s: any) => s.code === 'ROAMING_PLUS')).toEqual({ code: 'ROAMING_PLUS', status: 'RETIRED', changes: { edges: [{ node: { action: 'SERVICE_RETIRED', staffRole: 'ADMIN' } }] } });
    // Subscribers and anonymous callers get nothing of the operator's API.
    expect(TestSystem.code(await t.graphql(`mutation { retireService(code: "SPAM_FILTER") { status } }`, {}, { token: aigerim.accessToken }))).toBe('FORBIDDEN');
    expect(TestSystem.code(await t.graphql(`{ allServices { code } }`))).toBe('UNAUTHENTICATED');
    expect(TestSystem.code(await t.graphql(`mutation { retireService(code: "${'X'.repeat(5000)}") { status } }`, {}, { token: admin }))).toBe('NOT_FOUND');
  });
});
