import { randomUUID } from 'node:crypto';
import { DomainEvent } from '@selfcare/shared';
import { errorCodes, graphql, platformForSuite, waitFor } from '@selfcare/shared/testing';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { AccountEntity, BillingSubgraph, LedgerEntryEntity, LedgerEntryKind, createBillingSubgraph } from '../src';

const T = (text: string) => ({ KK: text, RU: text, EN: text });

/**
 * Charges from other services (POST /internal/charges): idempotent by reference — the posting or the refusal —, funds
 * judged against balance plus the account's credit limit, refunds only of what was charged; and credit limits set by
 * staff. Money stays exact when one account takes hundreds of requests at once, batched or one by one.
 */
describe.each([
  ['group commit', 100],
  ['one transaction per posting', 1],
])('charges (%s)', (_name, postingBatch) => {
  let definition!: BillingSubgraph;
  const { t, billing } = platformForSuite(
    { delegation: createDelegationSubgraph, billing: () => (definition = createBillingSubgraph({ feeRunIntervalMs: 0, postingBatch })) },
    { standInIdentity: true, relayPollMs: 50 },
  );
  const events: DomainEvent[] = [];
  beforeAll(async () => {
    await t.bus.subscribe('billing', 'test-observer', async (event) => void events.push(event));
  });

  const line = async (balanceMinor: number) => {
    const subscriberId = randomUUID();
    await billing.runtime.database.transaction(async (manager) => {
      const { account } = await definition.services.ledger.openAccount(manager, { subscriberId, kind: 'MOBILE', partyType: 'INDIVIDUAL' });
      if (balanceMinor) await definition.services.ledger.post(manager, account.id, { kind: LedgerEntryKind.PAYMENT, amountMinor: balanceMinor, description: T('top-up') });
    });
    return subscriberId;
  };
  const charge = (body: Record<string, unknown>) => t.internal(billing.url, '/internal/charges', { body: { kind: 'CHARGE', description: T('fee'), ...body } });
  const json = async (response: Promise<Response>): Promise<any> => (await response).json();
  const ledger = async (subscriberId: string) => {
    const account = await billing.runtime.database.manager.findOneByOrFail(AccountEntity, { subscriberId });
    return { account, entries: await billing.runtime.database.manager.find(LedgerEntryEntity, { where: { accountId: account.id }, order: { seq: 'ASC' } }) };
  };

  it('posts a charge once per reference and answers a repeat with the same entry', async () => {
    const subscriberId = await line(100_000);
    const body = { subscriberId, reference: `order:${randomUUID()}:charge`, amountMinor: 30_000 };
    const first = await json(charge(body));
    const again = await json(charge(body));
    expect(first).toEqual({ outcome: 'POSTED', entryId: expect.any(String), balanceMinor: 70_000, creditLimitMinor: 0 });
    expect(again).toEqual({ ...first });
    expect((await ledger(subscriberId)).entries.filter((e) => e.reference === body.reference)).toHaveLength(1);
  });

  it('refuses a charge above balance plus credit limit, and keeps refusing that reference after a top-up', async () => {
    const subscriberId = await line(10_000);
    const body = { subscriberId, reference: `order:${randomUUID()}:charge`, amountMinor: 10_001 };
    expect(await json(charge(body))).toEqual({ outcome: 'INSUFFICIENT_FUNDS', entryId: null, balanceMinor: 10_000, creditLimitMinor: 0 });
    const { account } = await ledger(subscriberId);
    await billing.runtime.database.transaction((m) => definition.services.ledger.post(m, account.id, { kind: LedgerEntryKind.PAYMENT, amountMinor: 100_000, description: T('top-up') }));
    expect((await json(charge(body))).outcome).toBe('INSUFFICIENT_FUNDS');
    // Exactly the balance is enough; with a credit limit the balance may go below zero by that much.
    expect((await json(charge({ subscriberId, reference: `r:${randomUUID()}`, amountMinor: 110_000 }))).outcome).toBe('POSTED');
    await billing.runtime.database.transaction((m) => definition.services.ledger.setCreditLimit(m, account.id, 5_000));
    expect((await json(charge({ subscriberId, reference: `r:${randomUUID()}`, amountMinor: 5_001 }))).outcome).toBe('INSUFFICIENT_FUNDS');
    expect((await json(charge({ subscriberId, reference: `r:${randomUUID()}`, amountMinor: 5_000 })))).toMatchObject({ outcome: 'POSTED', balanceMinor: -5_000 });
    expect((await ledger(subscriberId)).account.inDebt).toBe(false);
  });

  it('refunds only a charge it posted, for at most as much, once', async () => {
    const subscriberId = await line(50_000);
    const order = randomUUID();
    expect((await json(charge({ subscriberId, reference: `order:${order}:charge`, amountMinor: 20_000 }))).outcome).toBe('POSTED');
    const refund = (body: Record<string, unknown>) => charge({ subscriberId, kind: 'REFUND', requireFunds: false, reference: `order:${order}:refund`, ...body });
    expect((await refund({ amountMinor: 20_000, refundOf: `order:${randomUUID()}:charge` })).status).toBe(409);
    expect((await refund({ amountMinor: 20_001, refundOf: `order:${order}:charge` })).status).toBe(409);
    expect((await refund({ amountMinor: 20_000 })).status).toBe(409);
    expect(await json(refund({ amountMinor: 20_000, refundOf: `order:${order}:charge` }))).toMatchObject({ outcome: 'POSTED', balanceMinor: 50_000 });
    expect((await json(refund({ amountMinor: 20_000, refundOf: `order:${order}:charge` }))).balanceMinor).toBe(50_000);
    const { entries } = await ledger(subscriberId);
    expect(entries.map((e) => [e.kind, e.amountMinor])).toEqual([
      ['PAYMENT', 50_000],
      ['CHARGE', -20_000],
      ['REFUND', 20_000],
    ]);
  });

  it('answers out-of-contract requests with 400 and an unknown account with 404', async () => {
    const subscriberId = await line(0);
    expect((await charge({ subscriberId, reference: 'r', amountMinor: 0 })).status).toBe(400);
    expect((await charge({ subscriberId, reference: 'r', amountMinor: 1.5 })).status).toBe(400);
    expect((await charge({ subscriberId, reference: 'with space', amountMinor: 1 })).status).toBe(400);
    expect((await charge({ subscriberId, reference: 'r', amountMinor: Number.MAX_SAFE_INTEGER + 2 })).status).toBe(400);
    expect((await charge({ subscriberId: randomUUID(), reference: 'r', amountMinor: 1 })).status).toBe(404);
    expect((await t.internal(billing.url, '/internal/charges', { body: { subscriberId }, token: null })).status).toBe(401);
  });

  it('300 concurrent charges on one account, funds for 200: exactly 200 posted, the balance exact, repeats answered alike', async () => {
    const subscriberId = await line(2_000_000);
    const references = Array.from({ length: 300 }, () => `order:${randomUUID()}:charge`);
    const send = (reference: string) => charge({ subscriberId, reference, amountMinor: 10_000 }).then((r) => r.json() as Promise<{ outcome: string }>);
    const answers = await Promise.all([...references, ...references.slice(0, 100)].map(send));
    const byReference = new Map<string, string[]>();
    [...references, ...references.slice(0, 100)].forEach((reference, i) => byReference.set(reference, [...(byReference.get(reference) ?? []), answers[i]!.outcome]));
    for (const outcomes of byReference.values()) expect(new Set(outcomes).size).toBe(1);
    const posted = [...byReference.values()].filter((o) => o[0] === 'POSTED').length;
    expect(posted).toBe(200);
    const { account, entries } = await ledger(subscriberId);
    expect(account.balanceMinor).toBe(0);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    let running = 0;
    for (const entry of entries) {
      running += entry.amountMinor;
      expect(entry.balanceAfterMinor).toBe(running);
    }
    expect(new Set(entries.map((e) => e.reference)).size).toBe(entries.length);
  });

  it('group commit: charges to 40 accounts at once, with repeats, refusals and a bad refund among them, each account exact', async () => {
    // Each account: funds for two of its three charges; the first charge sent twice; a refund of nothing (409) too.
    const accounts = await Promise.all(Array.from({ length: 40 }, () => line(20_000)));
    type Sent = { subscriberId: string; reference: string; amountMinor: number; kind?: string; requireFunds?: boolean; refundOf?: string };
    const sent = accounts.flatMap((subscriberId): Sent[] => {
      const references = [0, 1, 2].map(() => `order:${randomUUID()}:charge`);
      return [
        ...references.map((reference) => ({ subscriberId, reference, amountMinor: 10_000 })),
        { subscriberId, reference: references[0]!, amountMinor: 10_000 },
        { subscriberId, kind: 'REFUND', requireFunds: false, reference: `order:${randomUUID()}:refund`, refundOf: `order:${randomUUID()}:charge`, amountMinor: 1 },
      ];
    });
    const answers = await Promise.all(
      sent.map(async (body) => ({ body, status: await charge(body).then(async (r) => ({ status: r.status, json: r.ok ? ((await r.json()) as { outcome: string }) : null })) })),
    );
    for (const subscriberId of accounts) {
      const mine = answers.filter((a) => a.body.subscriberId === subscriberId);
      expect(mine.filter((a) => a.body.kind === 'REFUND').map((a) => a.status.status)).toEqual([409]);
      const charges = mine.filter((a) => a.body.kind !== 'REFUND');
      const outcomes = new Map<string, Set<string>>();
      for (const a of charges) outcomes.set(a.body.reference, (outcomes.get(a.body.reference) ?? new Set<string>()).add(a.status.json!.outcome));
      // A reference is answered alike every time; exactly two of the three are posted.
      for (const set of outcomes.values()) expect(set.size).toBe(1);
      expect([...outcomes.values()].filter((set) => set.has('POSTED'))).toHaveLength(2);
      const { account, entries } = await ledger(subscriberId);
      expect(account.balanceMinor).toBe(0);
      expect(account.lastEntrySeq).toBe(3);
      expect(entries.map((e) => [e.seq, e.balanceAfterMinor])).toEqual([
        [1, 20_000],
        [2, 10_000],
        [3, 0],
      ]);
    }
  });

  describe('credit limits are data, set by staff (terms 3.3)', () => {
    it('staff set an account’s limit; debt is judged again at once and the change is in the number’s activity record', async () => {
      const subscriberId = await line(0);
      expect((await json(charge({ subscriberId, reference: `r:${randomUUID()}`, amountMinor: 1_000, requireFunds: false }))).balanceMinor).toBe(-1_000);
      await waitFor(() => events.some((e) => e.type === 'DebtIncurred' && e.payload.subscriberId === subscriberId), 5000, 'DebtIncurred');
      const staff = await t.tokenFor(randomUUID(), { staff: true });
      const set = (amount: string, token = staff) => graphql<any>(billing.graphqlUrl, `mutation ($s: ID!, $a: String!) { setCreditLimit(subscriberId: $s, amount: $a) { creditLimit { amount } inDebt } }`, { s: subscriberId, a: amount }, { token });
      expect((await set('10.00')).data.setCreditLimit).toEqual({ creditLimit: { amount: '10.00' }, inDebt: false });
      await waitFor(() => events.some((e) => e.type === 'DebtSettled' && e.payload.subscriberId === subscriberId), 5000, 'DebtSettled');
      await waitFor(() => events.some((e) => e.type === 'ActivityRecorded' && e.payload.subscriberId === subscriberId && e.payload.action === 'CREDIT_LIMIT_CHANGED'), 5000, 'ActivityRecorded');
      expect((await set('0')).data.setCreditLimit.inDebt).toBe(true);
      expect(errorCodes(await set('-1'))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await set('1.001'))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await set('10', await t.tokenFor(subscriberId)))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await graphql(billing.graphqlUrl, `mutation { setCreditLimit(subscriberId: "${randomUUID()}", amount: "1") { inDebt } }`, {}, { token: staff }))).toEqual(['NOT_FOUND']);
    });
  });
});
