import { randomUUID } from 'node:crypto';
import { Between, IsNull, Not } from 'typeorm';
import { demo, errorCodes, graphql, platformForSuite, subscriberRepresentations } from '@selfcare/shared/testing';
import { createCatalogSubgraph } from '@selfcare/catalog';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { UsageKind, UsageRecordEntity, allowancePeriodOf, createDetailingSubgraph } from '../src';
import { seedDetailingDemo } from '../src/seed/demo-seed';
import { demoUsageFor } from '../src/seed/demo-usage';
import { grantManagement } from '../../delegation/test/support/grants';

const { aigerim, nurlan, steppe, unregistered, home } = demo;

const NOW = new Date('2026-03-15T09:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const FROM = new Date(NOW.getTime() - 31 * DAY_MS).toISOString();
const TO = NOW.toISOString();

const VARIABLE_TYPES: Record<string, string> = { from: 'DateTime!', to: 'DateTime!', kinds: '[UsageKind!]', first: 'Int', after: 'String' };
/** `_entities` for Subscriber with the selection, declaring just the variables it uses. */
const usageQuery = (selection: string) => {
  const used = Object.keys(VARIABLE_TYPES).filter((name) => new RegExp(`\\$${name}\\b`).test(selection));
  const declared = ['$representations: [_Any!]!', ...used.map((name) => `$${name}: ${VARIABLE_TYPES[name]}`)].join(', ');
  return `query (${declared}) { _entities(representations: $representations) { ... on Subscriber { ${selection} } } }`;
};
const USAGE = 'usage(from: $from, to: $to, kinds: $kinds, first: $first, after: $after) { edges { cursor node { id kind startedAt direction counterparty seconds bytes roaming roamingCountry zeroRated charge { amount currency } description } } pageInfo { hasNextPage endCursor } }';

describe('detailing subgraph', () => {
  // Delegation answers the access checks, catalog the allowances (what the tariff includes); identity's part is a
  // stand-in that signs tokens.
  const { t, delegation, catalog, detailing } = platformForSuite(
    { delegation: createDelegationSubgraph, catalog: createCatalogSubgraph, detailing: createDetailingSubgraph },
    { now: NOW, standInIdentity: true },
  );

  const ask = (ids: string[], selection: string, variables: Record<string, unknown>, token?: string) =>
    graphql<{ _entities: any[] }>(detailing.graphqlUrl, usageQuery(selection), { representations: subscriberRepresentations(ids), from: FROM, to: TO, ...variables }, token ? { token } : {});

  const records = (subscriberId: string) => detailing.runtime.database.manager.find(UsageRecordEntity, { where: { subscriberId }, order: { startedAt: 'DESC', id: 'DESC' } });

  describe('itemized usage (terms 2.1)', () => {
    it('pages the seeded usage of the last 30 days, newest first, and reaches every record exactly once', async () => {
      const token = await t.tokenFor(aigerim.id);
      const seen: any[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page += 1) {
        const response = await ask([aigerim.id], USAGE, { first: 40, after }, token);
        expect(response.errors).toBeUndefined();
        const usage = response.data!._entities[0].usage;
        seen.push(...usage.edges.map((e: any) => e.node));
        if (!usage.pageInfo.hasNextPage) break;
        after = usage.pageInfo.endCursor;
      }
      const stored = await records(aigerim.id);
      expect(stored.length).toBeGreaterThan(100);
      expect(seen.map((n) => n.id)).toEqual(stored.map((r) => r.id));
      const times = seen.map((n) => Date.parse(n.startedAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(times.every((ms) => ms >= Date.parse(FROM) && ms < NOW.getTime())).toBe(true);
    });

    it('shows free My Beeline traffic at home and charged traffic in roaming (terms 2.10)', async () => {
      const response = await ask([aigerim.id], USAGE, { kinds: ['DATA'], first: 100 }, await t.tokenFor(aigerim.id));
      const nodes = response.data!._entities[0].usage.edges.map((e: any) => e.node);
      expect(nodes.every((n: any) => n.kind === 'DATA')).toBe(true);
      const appAtHome = nodes.filter((n: any) => n.counterparty === 'My Beeline' && !n.roaming);
      const appAbroad = nodes.filter((n: any) => n.counterparty === 'My Beeline' && n.roaming);
      expect(appAtHome.length).toBeGreaterThan(10);
      expect(appAtHome.every((n: any) => n.zeroRated && n.charge.amount === '0.00')).toBe(true);
      expect(appAtHome[0].description).toBe('Трафик приложения My Beeline (бесплатно)');
      expect(appAbroad.length).toBe(4);
      expect(appAbroad.every((n: any) => !n.zeroRated && Number(n.charge.amount) > 0 && n.roamingCountry === 'TR')).toBe(true);
    });

    it('filters by kinds; an empty list finds nothing', async () => {
      const token = await t.tokenFor(aigerim.id);
      const calls = await ask([aigerim.id], USAGE, { kinds: ['CALL', 'SMS'], first: 100 }, token);
      const kinds = new Set(calls.data!._entities[0].usage.edges.map((e: any) => e.node.kind));
      expect(kinds).toEqual(new Set(['CALL', 'SMS']));
      const charges = await ask([aigerim.id], USAGE, { kinds: ['CHARGE'] }, token);
      expect(charges.data!._entities[0].usage.edges.map((e: any) => [e.node.charge.amount, e.node.description])).toEqual([
        ['150.00', 'Абонентская плата: Caller ID'],
        ['1490.00', 'Абонентская плата: Roaming Plus'],
        ['4990.00', 'Абонентская плата: Beeline M'],
      ]);
      const none = await ask([aigerim.id], USAGE, { kinds: [] }, token);
      expect(none.data!._entities[0].usage).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    });

    it('gives a home-internet line its data sessions only', async () => {
      const response = await ask([home.id], USAGE, { first: 100 }, await t.tokenFor(home.id));
      const kinds = new Set(response.data!._entities[0].usage.edges.map((e: any) => e.node.kind));
      expect(kinds).toEqual(new Set(['DATA', 'CHARGE']));
    });
  });

  describe('summary and allowances', () => {
    it('sums the period per kind, matching the records', async () => {
      const response = await ask([aigerim.id], 'usageSummary(from: $from, to: $to) { from to total { amount } byKind { kind count seconds bytes charge { amount } } }', {}, await t.tokenFor(aigerim.id));
      expect(response.errors).toBeUndefined();
      const summary = response.data!._entities[0].usageSummary;
      const stored = await detailing.runtime.database.manager.find(UsageRecordEntity, { where: { subscriberId: aigerim.id, startedAt: Between(new Date(FROM), new Date(NOW.getTime() - 1)) } });
      const expected = [UsageKind.CALL, UsageKind.SMS, UsageKind.DATA, UsageKind.CHARGE].map((kind) => {
        const rows = stored.filter((r) => r.kind === kind);
        return {
          kind,
          count: rows.length,
          seconds: rows.reduce((s, r) => s + (r.seconds ?? 0), 0),
          bytes: rows.reduce((s, r) => s + (r.bytes ?? 0), 0),
          charge: { amount: (rows.reduce((s, r) => s + r.chargeMinor, 0) / 100).toFixed(2) },
        };
      });
      expect(summary.byKind).toEqual(expected);
      expect(summary.total.amount).toBe((stored.reduce((s, r) => s + r.chargeMinor, 0) / 100).toFixed(2));
      expect(summary.from).toBe(FROM);
      expect(summary.to).toBe(TO);
    });

    it("shows what is left of the tariff's package this tariff month (catalog's allowances, used from the records)", async () => {
      const response = await ask([aigerim.id], 'allowances { unit included used left periodEnd }', {}, await t.tokenFor(aigerim.id));
      expect(response.errors).toBeUndefined();
      const period = allowancePeriodOf(NOW);
      expect(period).toEqual({ start: new Date('2026-02-28T19:00:00.000Z'), end: new Date('2026-03-31T19:00:00.000Z') });
      const used = async (unit: string) =>
        (await detailing.runtime.database.manager.find(UsageRecordEntity, { where: { subscriberId: aigerim.id, allowanceUnit: unit as any, startedAt: Between(period.start, NOW) } })).reduce((s, r) => s + (r.allowanceUsed ?? 0), 0);
      const minutes = await used('MINUTES');
      const sms = await used('SMS');
      const megabytes = await used('MEGABYTES');
      expect(minutes).toBeGreaterThan(0);
      expect(response.data!._entities[0].allowances).toEqual([
        { unit: 'MINUTES', included: 500, used: minutes, left: Math.max(500 - minutes, 0), periodEnd: period.end.toISOString() },
        { unit: 'SMS', included: 100, used: sms, left: Math.max(100 - sms, 0), periodEnd: period.end.toISOString() },
        { unit: 'MEGABYTES', included: 30720, used: megabytes, left: Math.max(30720 - megabytes, 0), periodEnd: period.end.toISOString() },
      ]);
      // Roaming and the app's free traffic take nothing from the package (terms 2.10).
      const exempt = await detailing.runtime.database.manager.find(UsageRecordEntity, { where: [{ subscriberId: aigerim.id, roaming: true }, { subscriberId: aigerim.id, zeroRated: true }] });
      expect(exempt.length).toBeGreaterThan(0);
      expect(exempt.every((r) => r.allowanceUnit === null)).toBe(true);
    });

    it('an unlimited home-internet tariff and an unknown line have no allowances', async () => {
      expect((await ask([home.id], 'allowances { unit }', {}, await t.tokenFor(home.id))).data!._entities[0].allowances).toEqual([]);
      const stranger = randomUUID();
      expect((await ask([stranger], 'allowances { unit }', {}, await t.tokenFor(stranger))).data!._entities[0].allowances).toEqual([]);
    });
  });

  describe('bad input', () => {
    const expectBadInput = async (variables: Record<string, unknown>, field: string, selection = USAGE) => {
      const response = await ask([aigerim.id], selection, variables, await t.tokenFor(aigerim.id));
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.extensions!.field).toBe(field);
      return response;
    };

    it('refuses a period that ends before it starts, or is longer than 92 days', async () => {
      const reversed = await expectBadInput({ from: TO, to: FROM }, 'to');
      expect(reversed.errors![0]!.message).toBe('Конец периода должен быть позже его начала');
      await expectBadInput({ from: TO, to: TO }, 'to');
      await expectBadInput({ from: new Date(NOW.getTime() - 93 * DAY_MS).toISOString() }, 'from');
      await expectBadInput({ from: TO, to: FROM }, 'to', 'usageSummary(from: $from, to: $to) { total { amount } }');
    });

    it('refuses malformed dates, kinds, page sizes and cursors', async () => {
      await expectBadInput({ from: '2026-13-01' }, 'from');
      await expectBadInput({ kinds: ['ROAMING'] }, 'kinds');
      await expectBadInput({ first: 0 }, 'first');
      await expectBadInput({ first: 500 }, 'first');
      await expectBadInput({ after: 'bm90IGEgY3Vyc29y' }, 'after');
    });
  });

  describe('authorization (terms 2.5, 4.3) and batching', () => {
    it("refuses another subscriber's usage with FORBIDDEN and lets a manager read it", async () => {
      const foreign = await ask([nurlan.id], USAGE, {}, await t.tokenFor(aigerim.id));
      expect(new Set(errorCodes(foreign))).toEqual(new Set(['FORBIDDEN']));
      const anonymous = await ask([nurlan.id], 'allowances { unit }', {});
      expect(new Set(errorCodes(anonymous))).toEqual(new Set(['UNAUTHENTICATED']));
      const manager = randomUUID();
      await grantManagement(delegation, manager, nurlan.id, nurlan.msisdn!);
      const managed = await ask([nurlan.id], 'allowances { unit included }', {}, await t.tokenFor(manager));
      expect(managed.errors).toBeUndefined();
      expect(managed.data!._entities[0].allowances[0]).toEqual({ unit: 'MINUTES', included: 1500 });
    });

    it('reads usage, summary and allowances of many lines in a constant number of SQL statements', async () => {
      const manager = randomUUID();
      const ids = [aigerim, nurlan, steppe, unregistered, home].map((s) => s.id);
      for (const [i, id] of ids.entries()) await grantManagement(delegation, manager, id, `+7700000002${i}`);
      const token = await t.tokenFor(manager);
      const counter = detailing.runtime.database.counter;
      const selection = `${USAGE} usageSummary(from: $from, to: $to) { total { amount } } allowances { unit left }`;
      const measure = async (subset: string[]) => {
        const before = counter.count;
        const response = await ask(subset, selection, { first: 5 }, token);
        expect(response.errors).toBeUndefined();
        expect(response.data!._entities.every((e: any) => e.usage.edges.length === 5)).toBe(true);
        return counter.count - before;
      };
      await measure(ids); // warm-up
      const one = await measure(ids.slice(0, 1));
      const five = await measure(ids);
      expect(five).toBe(one);
      expect(five).toBeLessThanOrEqual(3); // one ranked page, one summary, one allowance use
    });
  });

  describe('degrading gracefully (terms 4.6, 4.7)', () => {
    it('answers allowances with SERVICE_UNAVAILABLE while the catalog is down, and usage as usual', async () => {
      await catalog.stop();
      const token = await t.tokenFor(aigerim.id);
      const response = await ask([aigerim.id], `allowances { unit } usageSummary(from: $from, to: $to) { total { amount } }`, {}, token);
      expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(response.errors![0]!.path).toEqual(['_entities', 0, 'allowances']);
      expect(response.errors![0]!.message).not.toMatch(/ECONNREFUSED|fetch|stack/i);
      const usage = await ask([aigerim.id], 'usageSummary(from: $from, to: $to) { total { amount } }', {}, token);
      expect(usage.errors).toBeUndefined();
    });
  });

  describe('demo seed', () => {
    it('is deterministic and idempotent', async () => {
      expect(demoUsageFor(aigerim, 0, NOW)).toEqual(demoUsageFor(aigerim, 0, NOW));
      expect(demoUsageFor(aigerim, 0, NOW)).not.toEqual(demoUsageFor(nurlan, 1, NOW));
      const manager = detailing.runtime.database.manager;
      const before = await manager.count(UsageRecordEntity);
      await seedDetailingDemo(detailing.runtime.database, detailing.runtime.clock);
      expect(await manager.count(UsageRecordEntity)).toBe(before);
      const stored = await records(steppe.id);
      const generated = demoUsageFor(steppe, 2, NOW);
      expect(stored.map((r) => r.sourceRef).sort()).toEqual(generated.map((g) => g.sourceRef).sort());
      expect(await manager.countBy(UsageRecordEntity, { sourceRef: Not(IsNull()) })).toBe(before);
    });
  });
});
