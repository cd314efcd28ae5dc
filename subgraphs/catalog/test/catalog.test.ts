import { randomUUID } from 'node:crypto';
import { INTERNAL_TOKEN_HEADER, demoSubscribers } from '@selfcare/shared';
import { demo, entitiesQuery, errorCodes, graphql, platformForSuite, publishEvent, subscriberRepresentations } from '@selfcare/shared/testing';
import { createCatalogSubgraph, ConnectedServiceEntity, ServiceEntity, SubscriberLineEntity, TariffPlanEntity, TariffPlanVersionEntity, raiseOfferGeneration } from '../src';
import { seedCatalogDemo } from '../src/seed/demo-seed';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { grantManagement } from '../../delegation/test/support/grants';

/** The catalog's background rounds (order recovery, holder jobs) would add statements to the counts. */
const QUIET = { orderRecoveryIntervalMs: 3_600_000, holderJobPollMs: 3_600_000 };

const { aigerim, nurlan, steppe, unregistered, home } = demo;

const PRODUCTS = `id tariff { code name monthlyFee { amount currency } termsVersion } services { service { code } connectedAt acceptedTermsVersion } availableServices { code }`;

describe('catalog subgraph', () => {
  // Delegation answers "may this caller manage that number?"; identity's part is a stand-in that signs tokens.
  const { t, delegation, catalog } = platformForSuite({ delegation: createDelegationSubgraph, catalog: () => createCatalogSubgraph(QUIET) }, { standInIdentity: true });
  let eventId = 0;

  const products = async (ids: string[], token?: string) =>
    graphql<{ _entities: any[] }>(catalog.graphqlUrl, entitiesQuery('Subscriber', PRODUCTS), { representations: subscriberRepresentations(ids) }, token ? { token } : {});

  describe('public catalog (terms 2.1, 2.2, 2.6)', () => {
    it('lists the seeded tariffs with KZT prices, allowances and terms versions, without a token', async () => {
      const response = await graphql(catalog.graphqlUrl, `{ tariffs { code kind name monthlyFee { amount currency } switchFee { amount } allowances { unit amount } termsVersion termsUrl } }`);
      expect(response.errors).toBeUndefined();
      const tariffs = response.data!.tariffs as any[];
      expect(tariffs.map((x) => x.code)).toEqual(['BEELINE_S', 'BEELINE_M', 'BEELINE_L', 'BUSINESS_PRO', 'HOME_100']);
      const m = tariffs.find((x) => x.code === 'BEELINE_M');
      // terms 2.2: the current version is the one on sale (4 990 KZT since 2025-11-01), not the older 4 490 one.
      expect(m).toEqual({
        code: 'BEELINE_M',
        kind: 'MOBILE',
        name: 'Beeline M',
        monthlyFee: { amount: '4990.00', currency: 'KZT' },
        switchFee: { amount: '500.00' },
        allowances: [
          { unit: 'MINUTES', amount: 500 },
          { unit: 'SMS', amount: 100 },
          { unit: 'MEGABYTES', amount: 30720 },
        ],
        termsVersion: '2025-11-01',
        termsUrl: 'https://beeline.kz/terms/tariffs/beeline-m/2025-11-01',
      });
      expect(tariffs.find((x) => x.code === 'HOME_100')).toMatchObject({ kind: 'HOME_INTERNET', allowances: [], monthlyFee: { amount: '6990.00', currency: 'KZT' } });
    });

    it('filters tariffs by kind and answers in the caller’s language', async () => {
      const home = await graphql(catalog.graphqlUrl, `{ tariffs(kind: HOME_INTERNET) { code name } }`, {}, { language: 'kk' });
      expect(home.data!.tariffs).toEqual([{ code: 'HOME_100', name: 'Үй интернеті 100' }]);
      const mobile = await graphql(catalog.graphqlUrl, `{ tariffs(kind: MOBILE) { code } }`, {}, { language: 'en' });
      expect((mobile.data!.tariffs as any[]).map((x) => x.code)).toEqual(['BEELINE_S', 'BEELINE_M', 'BEELINE_L', 'BUSINESS_PRO']);
    });

    it('rejects an unknown kind with BAD_USER_INPUT', async () => {
      const response = await graphql(catalog.graphqlUrl, `query ($kind: SubscriberKind) { tariffs(kind: $kind) { code } }`, { kind: 'SATELLITE' });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.extensions!.field).toBe('kind');
    });

    it('lists services with connection and monthly fees', async () => {
      const response = await graphql(catalog.graphqlUrl, `{ services { code category connectionFee { amount } monthlyFee { amount } termsVersion } }`, {}, { language: 'ru' });
      const services = response.data!.services as any[];
      expect(services.map((s) => s.code)).toEqual(['ROAMING_PLUS', 'ROAMING_DAILY', 'CALLER_ID', 'SPAM_FILTER', 'VIDEO_UNLIM', 'CLOUD_PBX', 'STATIC_IP', 'BEELINE_TV']);
      expect(services.find((s) => s.code === 'CLOUD_PBX')).toEqual({ code: 'CLOUD_PBX', category: 'BUSINESS', connectionFee: { amount: '5000.00' }, monthlyFee: { amount: '4990.00' }, termsVersion: '2025-09-01' });
    });

    it('takes a withdrawn tariff off sale at once (terms 2.6) while its subscribers keep it', async () => {
      // Written as staff's retirement writes it: with the offers' generation raised (the cached offers are read again).
      const setActive = (active: boolean) =>
        catalog.runtime.database.transaction(async (manager) => {
          await manager.update(TariffPlanEntity, { code: 'BEELINE_L' }, { active });
          await raiseOfferGeneration(manager);
        });
      await setActive(false);
      try {
        const listed = await graphql(catalog.graphqlUrl, `{ tariffs { code } }`);
        expect((listed.data!.tariffs as any[]).map((x) => x.code)).not.toContain('BEELINE_L');
        const own = await products([nurlan.id], await t.tokenFor(nurlan.id));
        expect(own.data!._entities[0].tariff.code).toBe('BEELINE_L');
      } finally {
        await setActive(true);
      }
    });

    it('resolves TariffPlan and Service references for the gateway', async () => {
      const tariff = await catalog.runtime.database.manager.findOneByOrFail(TariffPlanEntity, { code: 'BEELINE_S' });
      const service = await catalog.runtime.database.manager.findOneByOrFail(ServiceEntity, { code: 'CALLER_ID' });
      const response = await graphql(
        catalog.graphqlUrl,
        `query ($r: [_Any!]!) { _entities(representations: $r) { ... on TariffPlan { code monthlyFee { amount } } ... on Service { code monthlyFee { amount } } } }`,
        { r: [{ __typename: 'TariffPlan', id: tariff.id }, { __typename: 'Service', id: service.id }, { __typename: 'TariffPlan', id: randomUUID() }] },
      );
      expect(response.data!._entities).toEqual([{ code: 'BEELINE_S', monthlyFee: { amount: '2990.00' } }, { code: 'CALLER_ID', monthlyFee: { amount: '150.00' } }, null]);
    });
  });

  describe("a subscriber's tariff and services (terms 2.1, 2.5)", () => {
    it("reads the own line's tariff, connected services with the accepted terms, and what may be connected", async () => {
      const response = await products([aigerim.id], await t.tokenFor(aigerim.id));
      expect(response.errors).toBeUndefined();
      const line = response.data!._entities[0];
      expect(line.tariff).toEqual({ code: 'BEELINE_M', name: 'Beeline M', monthlyFee: { amount: '4990.00', currency: 'KZT' }, termsVersion: '2025-11-01' });
      expect(line.services.map((s: any) => [s.service.code, s.acceptedTermsVersion])).toEqual([
        ['ROAMING_PLUS', '2025-10-01'],
        ['CALLER_ID', '2025-01-15'],
      ]);
      expect(new Date(line.services[0].connectedAt).getTime()).toBeLessThan(t.clock.now().getTime());
      // Not the connected ones, not ROAMING_DAILY (conflicts with ROAMING_PLUS), nor other tariffs' or kinds' services.
      expect(line.availableServices.map((s: any) => s.code)).toEqual(['SPAM_FILTER', 'VIDEO_UNLIM']);
    });

    it('records the tariff terms version the line accepted, even when newer terms are on sale (terms 2.2)', async () => {
      const manager = catalog.runtime.database.manager;
      const line = await manager.findOneByOrFail(SubscriberLineEntity, { subscriberId: aigerim.id });
      const accepted = await manager.findOneByOrFail(TariffPlanVersionEntity, { id: line.tariffVersionId });
      expect(accepted.termsVersion).toBe('2025-03-01');
      expect(accepted.monthlyFeeMinor).toBe(449_000);
    });

    it('applies availability rules per tariff and kind', async () => {
      const available = async (id: string) => ((await products([id], await t.tokenFor(id))).data!._entities[0].availableServices as any[]).map((s) => s.code);
      expect(await available(nurlan.id)).toEqual(['ROAMING_PLUS', 'ROAMING_DAILY', 'SPAM_FILTER']); // L: no VIDEO_UNLIM
      expect(await available(steppe.id)).toEqual(['CALLER_ID', 'SPAM_FILTER', 'CLOUD_PBX']); // ROAMING_PLUS connected → no ROAMING_DAILY
      expect(await available(unregistered.id)).toEqual(['ROAMING_PLUS', 'ROAMING_DAILY', 'CALLER_ID', 'SPAM_FILTER', 'VIDEO_UNLIM']);
      expect(await available(home.id)).toEqual(['STATIC_IP', 'BEELINE_TV']);
    });

    it("refuses another subscriber's line with FORBIDDEN, a missing token with UNAUTHENTICATED", async () => {
      const foreign = await products([nurlan.id], await t.tokenFor(aigerim.id));
      expect(foreign.data!._entities).toEqual([null]);
      expect(new Set(errorCodes(foreign))).toEqual(new Set(['FORBIDDEN']));
      const anonymous = await products([aigerim.id]);
      expect(new Set(errorCodes(anonymous))).toEqual(new Set(['UNAUTHENTICATED']));
      const staff = await products([aigerim.id], await t.tokenFor(randomUUID(), { staff: true }));
      expect(new Set(errorCodes(staff))).toEqual(new Set(['FORBIDDEN']));
      const forged = await products([aigerim.id], (await t.tokenFor(aigerim.id)).slice(0, -4) + 'AAAA');
      expect(new Set(errorCodes(forged))).toEqual(new Set(['UNAUTHENTICATED']));
    });

    it('lets a manager read a managed number (terms 4.3) through delegation, and only that one', async () => {
      const requester = randomUUID();
      const token = await t.tokenFor(requester);
      expect(errorCodes(await products([unregistered.id], token))).toContain('FORBIDDEN');
      await grantManagement(delegation, requester, unregistered.id, unregistered.msisdn!);
      const managed = await products([unregistered.id, nurlan.id], token);
      expect(managed.data!._entities[0].tariff.code).toBe('BEELINE_S');
      expect(managed.data!._entities[1]).toBeNull();
      expect(managed.errors!.every((e) => e.extensions!.code === 'FORBIDDEN' && e.path![1] === 1)).toBe(true);
    });

    it('refuses ids no subscriber has, and more lines than one management check carries, with FORBIDDEN (was SERVICE_UNAVAILABLE)', async () => {
      const caller = randomUUID();
      const bogus = await products(['x'.repeat(300), ''], await t.tokenFor(caller));
      expect(new Set(errorCodes(bogus))).toEqual(new Set(['FORBIDDEN']));
      const questions = delegation.runtime.database.counter.count;
      const many = await products(Array.from({ length: 600 }, () => randomUUID()), await t.tokenFor(caller));
      expect(new Set(errorCodes(many))).toEqual(new Set(['FORBIDDEN']));
      // delegation was asked twice (500 numbers a question), not refused the whole request.
      expect(delegation.runtime.database.counter.count - questions).toBe(2);
    });

    it('reads the lines of one request in a constant number of SQL statements (DataLoader, no N+1)', async () => {
      const manager = randomUUID();
      const others = [aigerim, nurlan, steppe, home].map((s) => s.id);
      for (const id of others) await grantManagement(delegation, manager, id, demoSubscribers.find((s) => s.id === id)!.msisdn ?? `+7700${id.slice(-7)}`);
      const token = await t.tokenFor(manager);
      const counter = catalog.runtime.database.counter;

      const measure = async (ids: string[]) => {
        const before = counter.count;
        const response = await products(ids, token);
        expect(response.errors).toBeUndefined();
        expect(response.data!._entities.every((e: any) => e.tariff && Array.isArray(e.availableServices))).toBe(true);
        return counter.count - before;
      };
      await measure(others); // warm-up: token keys fetched, start-up work of the relay settled
      const one = await measure([others[0]!]);
      const four = await measure(others);
      expect(one).toBeGreaterThan(0);
      expect(four).toBe(one);
      // lines, connected services, the offers' generation (tariffs, services and versions from OfferCache), and the
      // offer snapshot's rules and conflicts
      expect(four).toBeLessThanOrEqual(6);

      // The caller's own number (no delegation round trip) joins the same batches.
      const ownToken = await t.tokenFor(aigerim.id);
      await grantManagement(delegation, aigerim.id, nurlan.id, nurlan.msisdn!);
      await grantManagement(delegation, aigerim.id, steppe.id, steppe.msisdn!);
      const before = counter.count;
      const mixed = await products([aigerim.id, nurlan.id, steppe.id], ownToken);
      expect(mixed.errors).toBeUndefined();
      expect(counter.count - before).toBe(one);
    });
  });

  describe('provisioning (SubscriberProvisioned from identity)', () => {
    const provision = (payload: Record<string, unknown>) => publishEvent(t.bus, 'identity', ++eventId + 1000, 'SubscriberProvisioned', payload);

    it('gives a new line the tariff named in the event, once, and nothing else', async () => {
      const subscriberId = randomUUID();
      const payload = { subscriberId, kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '+77019998877', login: '+77019998877', language: 'RU', tariffCode: 'BEELINE_L' };
      await provision(payload);
      await provision(payload); // a second event for the same line changes nothing
      const response = await products([subscriberId], await t.tokenFor(subscriberId));
      expect(response.errors).toBeUndefined();
      expect(response.data!._entities[0]).toMatchObject({ tariff: { code: 'BEELINE_L' }, services: [], availableServices: [{ code: 'ROAMING_PLUS' }, { code: 'ROAMING_DAILY' }, { code: 'CALLER_ID' }, { code: 'SPAM_FILTER' }] });
      const lines = await catalog.runtime.database.manager.countBy(SubscriberLineEntity, { subscriberId });
      expect(lines).toBe(1);
    });

    it('falls back to the first tariff on sale for the kind when the code is unknown', async () => {
      const subscriberId = randomUUID();
      await provision({ subscriberId, kind: 'HOME_INTERNET', partyType: 'INDIVIDUAL', msisdn: null, login: '1000999111', language: 'KK', tariffCode: 'NO_SUCH_TARIFF' });
      const response = await products([subscriberId], await t.tokenFor(subscriberId));
      expect(response.data!._entities[0].tariff.code).toBe('HOME_100');
    });

    it('skips a malformed event without blocking the stream', async () => {
      await provision({ kind: 'MOBILE' });
      const subscriberId = randomUUID();
      await provision({ subscriberId, kind: 'MOBILE', partyType: 'LEGAL_ENTITY', msisdn: '+77015550000', tariffCode: 'BUSINESS_PRO' });
      const response = await products([subscriberId], await t.tokenFor(subscriberId));
      expect(response.data!._entities[0].tariff.code).toBe('BUSINESS_PRO');
    });

    it('a line not provisioned yet has no tariff and can connect nothing', async () => {
      const subscriberId = randomUUID();
      const response = await products([subscriberId], await t.tokenFor(subscriberId));
      expect(response.errors).toBeUndefined();
      expect(response.data!._entities[0]).toEqual({ id: subscriberId, tariff: null, services: [], availableServices: [] });
    });
  });

  describe('internal API and seeding', () => {
    it('answers POST /internal/subscribers/plans only with the internal token', async () => {
      const url = `${catalog.url}/internal/subscribers/plans`;
      const body = JSON.stringify({ subscriberIds: [aigerim.id, randomUUID(), home.id] });
      const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(refused.status).toBe(401);
      const headers = { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: t.platform.internalToken };
      const bad = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ subscriberIds: 'x' }) });
      expect(bad.status).toBe(400);
      const answer = (await (await fetch(url, { method: 'POST', headers, body })).json()) as { plans: any[] };
      expect(answer.plans).toHaveLength(3);
      expect(answer.plans[0]).toMatchObject({ subscriberId: aigerim.id, kind: 'MOBILE', tariffCode: 'BEELINE_M', allowances: [{ unit: 'MINUTES', amount: 500 }, { unit: 'SMS', amount: 100 }, { unit: 'MEGABYTES', amount: 30720 }] });
      expect(answer.plans[1]).toBeNull();
      expect(answer.plans[2]).toMatchObject({ tariffCode: 'HOME_100', allowances: [] });
    });

    it('seeds idempotently: a second run inserts nothing', async () => {
      const manager = catalog.runtime.database.manager;
      const counts = async () => [await manager.count(TariffPlanEntity), await manager.count(TariffPlanVersionEntity), await manager.count(ServiceEntity), await manager.count(SubscriberLineEntity), await manager.count(ConnectedServiceEntity)];
      const before = await counts();
      await seedCatalogDemo(catalog.runtime.database, catalog.runtime.clock);
      expect(await counts()).toEqual(before);
      expect(before.slice(0, 3)).toEqual([5, 6, 8]);
    });
  });

  describe("a line's orders (terms 2.5, 4.3)", () => {
    it("pages the own and a managed line's orders; another's is FORBIDDEN, and so is a staff token", async () => {
      const orders = (ids: string[], token: string) => graphql<{ _entities: any[] }>(catalog.graphqlUrl, entitiesQuery('Subscriber', 'orders(first: 5) { edges { node { id } } }'), { representations: subscriberRepresentations(ids) }, { token });
      expect((await orders([aigerim.id], await t.tokenFor(aigerim.id))).data!._entities).toEqual([{ orders: { edges: [] } }]);
      expect(new Set(errorCodes(await orders([nurlan.id], await t.tokenFor(randomUUID()))))).toEqual(new Set(['FORBIDDEN']));
      expect(new Set(errorCodes(await orders([nurlan.id], await t.tokenFor(randomUUID(), { staff: true }))))).toEqual(new Set(['FORBIDDEN']));
      const manager = randomUUID();
      await grantManagement(delegation, manager, nurlan.id, nurlan.msisdn!);
      expect((await orders([nurlan.id], await t.tokenFor(manager))).errors).toBeUndefined();
      const bad = await graphql(catalog.graphqlUrl, entitiesQuery('Subscriber', 'orders(first: 500) { edges { cursor } }'), { representations: subscriberRepresentations([aigerim.id]) }, { token: await t.tokenFor(aigerim.id) });
      expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
    });
  });
});
