import { randomUUID } from 'node:crypto';
import { DEMO_PASSWORD, DemoSubscriber, demoSubscribers } from '@selfcare/shared';
import { ManagementRequestEntity, ManagementStatus } from '@selfcare/delegation';
import { SUBGRAPH_NAMES } from '@selfcare/gateway';
import { drainOutbox } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';

/**
 * SQL per request stays constant as lists grow: the managed-numbers list with each number's tariff (catalog) and
 * balance (billing, the grant checked at delegation) costs the same statements, summed over the five subgraph
 * databases, for 1, 10 and 100 managed numbers — the references and grant checks are batched per request (no N+1).
 * The numbers join the demo base before the system starts (each subgraph's demo seed writes its part of them);
 * the ACTIVE grants (terms 5.6.7) are written straight into delegation's table.
 */
const owner = (n: number): DemoSubscriber => ({
  id: `5a1e0000-0002-4000-8000-${String(n).padStart(12, '0')}`,
  kind: 'MOBILE',
  partyType: 'INDIVIDUAL',
  msisdn: `+7700200${String(n).padStart(4, '0')}`,
  login: `+7700200${String(n).padStart(4, '0')}`,
  language: 'RU',
  email: null,
  password: null,
  tariffCode: n % 2 ? 'BEELINE_S' : 'BEELINE_M',
  serviceCodes: ['CALLER_ID'],
  balanceMinor: 10_000 + n,
  accountNumber: `KZ-72${String(n).padStart(7, '0')}`,
});
const SIZES = [1, 10, 100] as const;
const managers = SIZES.map((size, n) => ({ ...owner(900 + n), password: DEMO_PASSWORD, size }));
const owners = Array.from({ length: 100 }, (_, n) => owner(n));
const QUERY = '{ me { managedNumbers { id msisdn tariff { name } account { balance { amount } } services { service { code } } } } }';

describe('SQL statements per request as lists grow (terms 4.2)', () => {
  let t: TestSystem;
  const tokens: Record<number, string> = {};

  beforeAll(async () => {
    demoSubscribers.push(...owners, ...managers);
    // No background poll during the counts: only the request's own statements.
    t = await TestSystem.start({ relayPollMs: 600_000, feedSafetyPollMs: 600_000 });
    const now = new Date();
    await t.system.subgraphs.delegation.runtime.database.transaction(async (manager) => {
      for (const requester of managers) {
        for (const o of owners.slice(0, requester.size)) {
          await manager.insert(ManagementRequestEntity, {
            id: randomUUID(),
            status: ManagementStatus.ACTIVE,
            requesterId: requester.id,
            requesterMsisdn: requester.msisdn,
            ownerMsisdn: o.msisdn!,
            ownerId: o.id,
            channel: 'WEB',
            ownerLanguage: 'RU',
            requesterLanguage: 'RU',
            openKey: `${requester.id}:${o.msisdn}`,
            confirmationFailures: 0,
            confirmedAt: now,
            confirmedVia: 'CABINET',
            activatedAt: now,
            createdAt: now,
            updatedAt: now,
          });
        }
      }
    });
    for (const m of managers) tokens[m.size] = (await t.login(m.login, DEMO_PASSWORD)).accessToken;
    // The seed's and the logins' events handed on and applied before anything is counted.
    for (const name of SUBGRAPH_NAMES) await drainOutbox(t.system.subgraphs[name].runtime.database, 60_000);
  }, 180_000);

  afterAll(async () => {
    await t?.stop();
    demoSubscribers.splice(demoSubscribers.length - owners.length - managers.length);
  });

  const statements = () => Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, t.system.subgraphs[n].runtime.database.counter.count]));

  async function countFor(size: number): Promise<Record<string, number>> {
    const answer = await t.graphql(QUERY, {}, { token: tokens[size]! });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.me.managedNumbers).toHaveLength(size);
    for (const number of answer.data!.me.managedNumbers) {
      expect(number.tariff.name).toMatch(/^Beeline [SM]$/);
      expect(number.account.balance.amount).toMatch(/^\d+\.\d\d$/);
    }
    // The least of three requests: a background job of a subgraph (a saga's sweep, say) can only add statements.
    const counts: Record<string, number> = {};
    for (let i = 0; i < 3; i += 1) {
      const before = statements();
      await t.graphql(QUERY, {}, { token: tokens[size]! });
      const after = statements();
      for (const n of SUBGRAPH_NAMES) counts[n] = Math.min(counts[n] ?? Number.POSITIVE_INFINITY, after[n]! - before[n]!);
    }
    return counts;
  }

  it('counts the same statements in every subgraph for 1, 10 and 100 managed numbers', async () => {
    const counts = { 1: await countFor(1), 10: await countFor(10), 100: await countFor(100) };
    expect(counts[10]).toEqual(counts[1]);
    expect(counts[100]).toEqual(counts[1]);
    // Each subgraph the plan visits reads at all (the count is of real work, not of nothing).
    for (const name of ['identity', 'catalog', 'billing', 'delegation']) expect(counts[1][name]).toBeGreaterThan(0);
  }, 60_000);
});
