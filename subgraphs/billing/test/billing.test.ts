import { randomUUID } from 'node:crypto';
import { DomainEvent, InboxEventEntity, OutboxEventEntity, billingEvents, demoSubscribers } from '@selfcare/shared';
import { Like, Not } from 'typeorm';
import { demo, drainOutbox, entitiesQuery, errorCodes, graphql, platformForSuite, publishEvent, subscriberRepresentations, waitFor } from '@selfcare/shared/testing';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { AccountEntity, LedgerEntryEntity, LedgerEntryKind, LedgerService, createBillingSubgraph } from '../src';
import { seedBillingDemo } from '../src/seed/demo-seed';
import { grantManagement } from '../../delegation/test/support/grants';

const { aigerim, nurlan, steppe, unregistered, home } = demo;

const ACCOUNT = `id account { id number balance { amount currency } creditLimit { amount } inDebt cards { brand last4 expMonth expYear } entries(first: 10) { edges { cursor node { kind amount { amount } balanceAfter { amount } description } } pageInfo { hasNextPage endCursor } } }`;

const T = (text: string) => ({ KK: text, RU: text, EN: text });

describe('billing subgraph', () => {
  // Delegation answers "may this caller manage that number?"; identity's part is a stand-in that signs tokens.
  const { t, delegation, billing } = platformForSuite({ delegation: createDelegationSubgraph, billing: createBillingSubgraph }, { standInIdentity: true });
  let ledger: LedgerService;
  const events: DomainEvent[] = [];

  beforeAll(async () => {
    ledger = new LedgerService(billing.runtime.database, billing.runtime.outboxFor(billingEvents), billing.runtime.clock);
    // Another service following billing's stream, as identity does for DebtIncurred/DebtSettled.
    await t.bus.subscribe('billing', 'test-observer', async (event) => void events.push(event));
  });

  const accountOf = (ids: string[], token?: string, selection = ACCOUNT) =>
    graphql<{ _entities: any[] }>(billing.graphqlUrl, entitiesQuery('Subscriber', selection), { representations: subscriberRepresentations(ids) }, token ? { token } : {});

  /** Opens a fresh account with an opening balance, in one transaction. */
  const freshAccount = async (partyType: 'INDIVIDUAL' | 'LEGAL_ENTITY', openingMinor: number) =>
    billing.runtime.database.transaction(async (manager) => {
      const { account } = await ledger.openAccount(manager, { subscriberId: randomUUID(), kind: 'MOBILE', partyType });
      if (openingMinor) await ledger.post(manager, account.id, { kind: LedgerEntryKind.PAYMENT, amountMinor: openingMinor, description: T('top-up') });
      return account;
    });

  const post = (accountId: string, kind: LedgerEntryKind, amountMinor: number, reference?: string) =>
    billing.runtime.database.transaction((manager) => ledger.post(manager, accountId, { kind, amountMinor, description: T(kind), reference: reference ?? null }));

  const eventsOf = (type: string, accountId: string) => events.filter((e) => e.type === type && e.payload.accountId === accountId);

  describe('seeded accounts (terms 2.1)', () => {
    it('shows the demo balance, credit limit, saved card and a month of ledger history, newest first', async () => {
      const response = await accountOf([aigerim.id], await t.tokenFor(aigerim.id));
      expect(response.errors).toBeUndefined();
      const account = response.data!._entities[0].account;
      expect(account).toMatchObject({
        number: 'KZ-100000001',
        balance: { amount: '2500.00', currency: 'KZT' },
        creditLimit: { amount: '0.00' },
        inDebt: false,
        cards: [{ brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2028 }],
      });
      const nodes = account.entries.edges.map((e: any) => e.node);
      expect(nodes.map((n: any) => [n.kind, n.amount.amount, n.balanceAfter.amount])).toEqual([
        ['CHARGE', '-150.00', '2500.00'],
        ['CHARGE', '-1490.00', '2650.00'],
        ['CHARGE', '-4990.00', '4140.00'],
        ['PAYMENT', '9130.00', '9130.00'],
      ]);
      expect(nodes[2].description).toBe('Абонентская плата: Beeline M'); // default language ru
      expect(account.entries.pageInfo.hasNextPage).toBe(false);
    });

    it('gives a legal entity its credit limit and answers in the caller’s language', async () => {
      const response = await graphql<{ _entities: any[] }>(
        billing.graphqlUrl,
        entitiesQuery('Subscriber', 'account { number balance { amount } creditLimit { amount } entries(first: 1) { edges { node { description } } } }'),
        { representations: subscriberRepresentations([steppe.id]) },
        { token: await t.tokenFor(steppe.id), language: 'en' },
      );
      expect(response.data!._entities[0].account).toEqual({
        number: 'KZ-100000003',
        balance: { amount: '50000.00' },
        creditLimit: { amount: '50000.00' },
        entries: { edges: [{ node: { description: 'Monthly fee: Roaming Plus' } }] },
      });
    });

    it('keeps every demo account consistent with its ledger, and seeds only once', async () => {
      await seedBillingDemo(billing.runtime.database, ledger, billing.runtime.clock);
      const manager = billing.runtime.database.manager;
      for (const subscriber of demoSubscribers) {
        const account = await manager.findOneByOrFail(AccountEntity, { subscriberId: subscriber.id });
        expect(account.balanceMinor).toBe(subscriber.balanceMinor);
        expect(account.number).toBe(subscriber.accountNumber);
        const entries = await manager.find(LedgerEntryEntity, { where: { accountId: account.id }, order: { seq: 'ASC' } });
        expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
        expect(account.lastEntrySeq).toBe(entries.length);
        let running = 0;
        for (const entry of entries) {
          running += entry.amountMinor;
          expect(entry.balanceAfterMinor).toBe(running);
        }
        expect(running).toBe(account.balanceMinor);
      }
    });
  });

  describe('reading the ledger', () => {
    it('pages entries with first/after cursors', async () => {
      const token = await t.tokenFor(aigerim.id);
      const page = async (after?: string) =>
        (
          await accountOf([aigerim.id], token, `account { entries(first: 3${after ? `, after: "${after}"` : ''}) { edges { node { kind amount { amount } } } pageInfo { hasNextPage endCursor } } }`)
        ).data!._entities[0].account.entries;
      const first = await page();
      expect(first.edges.map((e: any) => e.node.amount.amount)).toEqual(['-150.00', '-1490.00', '-4990.00']);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await page(first.pageInfo.endCursor);
      expect(second.edges.map((e: any) => e.node.amount.amount)).toEqual(['9130.00']);
      expect(second.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
    });

    it('answers bad paging input with BAD_USER_INPUT and the argument at fault', async () => {
      const token = await t.tokenFor(aigerim.id);
      for (const [args, field] of [
        ['first: 0', 'first'],
        ['first: 101', 'first'],
        ['after: "not-a-cursor"', 'after'],
      ] as const) {
        const response = await accountOf([aigerim.id], token, `account { entries(${args}) { edges { cursor } } }`);
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
        expect(response.errors![0]!.extensions!.field).toBe(field);
      }
    });
  });

  describe('authorization (terms 2.5, 4.3)', () => {
    it("refuses another subscriber's account, also when asked for by account id", async () => {
      const token = await t.tokenFor(aigerim.id);
      const foreign = await accountOf([nurlan.id], token);
      expect(new Set(errorCodes(foreign))).toEqual(new Set(['FORBIDDEN']));
      const nurlanAccount = await billing.runtime.database.manager.findOneByOrFail(AccountEntity, { subscriberId: nurlan.id });
      const byId = await graphql(billing.graphqlUrl, `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Account { balance { amount } } } }`, { r: [{ __typename: 'Account', id: nurlanAccount.id }] }, { token });
      expect(errorCodes(byId)).toEqual(['FORBIDDEN']);
      expect(errorCodes(await accountOf([aigerim.id]))).toContain('UNAUTHENTICATED');
    });

    it('lets the manager of a number read its account', async () => {
      const manager = randomUUID();
      await grantManagement(delegation, manager, unregistered.id, unregistered.msisdn!);
      const response = await accountOf([unregistered.id], await t.tokenFor(manager));
      expect(response.errors).toBeUndefined();
      expect(response.data!._entities[0].account.balance.amount).toBe('300.00');
    });

    it('reads the accounts of one request in a constant number of SQL statements', async () => {
      const manager = randomUUID();
      const ids = [aigerim, nurlan, steppe, home].map((s) => s.id);
      for (const [i, id] of ids.entries()) await grantManagement(delegation, manager, id, `+7700000001${i}`);
      const token = await t.tokenFor(manager);
      const counter = billing.runtime.database.counter;
      // billing follows its own stream (autopay): the seed's events are taken before statements are counted.
      const db = billing.runtime.database;
      await waitFor(async () => {
        const events = await db.manager.count(OutboxEventEntity, { where: { stream: 'billing', type: Not(Like('notification.%')) } });
        const taken = await db.manager.count(InboxEventEntity, { where: { consumerGroup: 'billing', stream: 'billing' } });
        return taken >= events || undefined;
      }, 10_000, "billing's own events to be taken");
      const measure = async (subset: string[]) => {
        const before = counter.count;
        const response = await accountOf(subset, token);
        expect(response.errors).toBeUndefined();
        expect(response.data!._entities.every((e: any) => e.account.entries.edges.length > 0)).toBe(true);
        return counter.count - before;
      };
      await measure(ids); // warm-up
      const one = await measure(ids.slice(0, 1));
      const four = await measure(ids);
      expect(four).toBe(one);
      expect(four).toBeLessThanOrEqual(3); // accounts, cards, one ranked page of entries
    });
  });

  describe('SubscriberProvisioned opens an account', () => {
    it('opens an empty KZT account once per line, with the default credit limit whatever the party type (limits are data, set by staff)', async () => {
      const individual = randomUUID();
      const company = randomUUID();
      const homeLine = randomUUID();
      await publishEvent(t.bus, 'identity', 1, 'SubscriberProvisioned', { subscriberId: individual, kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '+77011234567', login: '+77011234567', language: 'RU', tariffCode: 'BEELINE_S' });
      await publishEvent(t.bus, 'identity', 2, 'SubscriberProvisioned', { subscriberId: company, kind: 'MOBILE', partyType: 'LEGAL_ENTITY', msisdn: '+77011234568', login: '+77011234568', language: 'EN', tariffCode: 'BUSINESS_PRO' });
      await publishEvent(t.bus, 'identity', 3, 'SubscriberProvisioned', { subscriberId: homeLine, kind: 'HOME_INTERNET', partyType: 'INDIVIDUAL', msisdn: null, login: '1000777888', language: 'KK', tariffCode: 'HOME_100' });
      await publishEvent(t.bus, 'identity', 4, 'SubscriberProvisioned', { subscriberId: individual, kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '+77011234567' });

      const read = async (id: string) => (await accountOf([id], await t.tokenFor(id), 'account { number balance { amount } creditLimit { amount } entries { edges { cursor } } }')).data!._entities[0].account;
      expect(await read(individual)).toEqual({ number: expect.stringMatching(/^KZ-1\d{8}$/), balance: { amount: '0.00' }, creditLimit: { amount: '0.00' }, entries: { edges: [] } });
      expect((await read(company)).creditLimit).toEqual({ amount: '0.00' });
      expect((await read(homeLine)).number).toMatch(/^KZ-2\d{8}$/);
      expect(await billing.runtime.database.manager.countBy(AccountEntity, { subscriberId: individual })).toBe(1);
    });

    it('a line without an account yet gets NOT_FOUND', async () => {
      const id = randomUUID();
      expect(errorCodes(await accountOf([id], await t.tokenFor(id)))).toEqual(['NOT_FOUND']);
    });
  });

  describe('ledger invariants and debt events (terms 3.3)', () => {
    it('publishes DebtIncurred when the balance goes below zero, DebtSettled when it comes back, once per crossing', async () => {
      const account = await freshAccount('INDIVIDUAL', 10_000); // 100.00 KZT
      await post(account.id, LedgerEntryKind.CHARGE, -15_000); // -50.00: debt
      await post(account.id, LedgerEntryKind.CHARGE, -1_000); // deeper: no second event
      await post(account.id, LedgerEntryKind.PAYMENT, 6_000); // 0.00: settled (zero is not debt)
      await post(account.id, LedgerEntryKind.PAYMENT, 4_000);

      await waitFor(() => eventsOf('BalanceChanged', account.id).length === 5, 5000, 'five BalanceChanged events');
      await waitFor(() => eventsOf('DebtSettled', account.id).length === 1, 5000, 'DebtSettled');
      expect(eventsOf('DebtIncurred', account.id).map((e) => e.payload)).toEqual([{ subscriberId: account.subscriberId, accountId: account.id, balanceMinor: -5_000, creditLimitMinor: 0 }]);
      expect(eventsOf('DebtSettled', account.id).map((e) => e.payload)).toEqual([{ subscriberId: account.subscriberId, accountId: account.id, balanceMinor: 0, creditLimitMinor: 0 }]);
      // Published in order: the debt event follows the balance change that caused it.
      const ordered = events.filter((e) => e.payload.accountId === account.id).map((e) => `${e.type}:${e.payload.balanceMinor}`);
      expect(ordered).toEqual(['BalanceChanged:10000', 'BalanceChanged:-5000', 'DebtIncurred:-5000', 'BalanceChanged:-6000', 'BalanceChanged:0', 'DebtSettled:0', 'BalanceChanged:4000']);

      const stored = await billing.runtime.database.manager.findOneByOrFail(AccountEntity, { id: account.id });
      expect(stored).toMatchObject({ balanceMinor: 4_000, inDebt: false, lastEntrySeq: 5 });
    });

    it('counts debt from minus the credit limit', async () => {
      const opened = await freshAccount('LEGAL_ENTITY', 0);
      // terms 3.3: the account's own limit, as staff set it: 50 000.00 KZT
      const account = await billing.runtime.database.transaction(async (manager) => (await ledger.setCreditLimit(manager, opened.id, 5_000_000)).account);
      await post(account.id, LedgerEntryKind.CHARGE, -4_000_000); // -40 000: within the limit
      await post(account.id, LedgerEntryKind.CHARGE, -1_000_000); // -50 000: exactly the limit, still no debt
      await waitFor(() => eventsOf('BalanceChanged', account.id).length === 2, 5000, 'balance events');
      expect(eventsOf('DebtIncurred', account.id)).toHaveLength(0);
      await post(account.id, LedgerEntryKind.CHARGE, -1); // one tiyn over
      await waitFor(() => eventsOf('DebtIncurred', account.id).length === 1, 5000, 'DebtIncurred');
      expect(eventsOf('DebtIncurred', account.id)[0]!.payload).toMatchObject({ balanceMinor: -5_000_001, creditLimitMinor: 5_000_000 });
    });

    it('writes nothing — entry, balance or event — when the transaction rolls back', async () => {
      const account = await freshAccount('INDIVIDUAL', 1_000);
      await expect(
        billing.runtime.database.transaction(async (manager) => {
          await ledger.post(manager, account.id, { kind: LedgerEntryKind.CHARGE, amountMinor: -5_000, description: T('charge') });
          throw new Error('order failed after the charge');
        }),
      ).rejects.toThrow('order failed');
      const stored = await billing.runtime.database.manager.findOneByOrFail(AccountEntity, { id: account.id });
      expect(stored).toMatchObject({ balanceMinor: 1_000, lastEntrySeq: 1, inDebt: false });
      expect(await billing.runtime.database.manager.countBy(LedgerEntryEntity, { accountId: account.id })).toBe(1);
      await drainOutbox(billing.runtime.database);
      expect(eventsOf('DebtIncurred', account.id)).toHaveLength(0);
      expect(eventsOf('BalanceChanged', account.id)).toHaveLength(1);
    });

    it('posts a business reference once (idempotent charges and payments)', async () => {
      const account = await freshAccount('INDIVIDUAL', 10_000);
      const first = await post(account.id, LedgerEntryKind.CHARGE, -2_500, 'order:42');
      const again = await post(account.id, LedgerEntryKind.CHARGE, -2_500, 'order:42');
      expect(first.duplicate).toBe(false);
      expect(again.duplicate).toBe(true);
      expect(again.entry.id).toBe(first.entry.id);
      expect((await billing.runtime.database.manager.findOneByOrFail(AccountEntity, { id: account.id })).balanceMinor).toBe(7_500);
    });

    it('refuses zero amounts and amounts whose sign does not fit the kind', async () => {
      const account = await freshAccount('INDIVIDUAL', 0);
      for (const [kind, amount] of [
        [LedgerEntryKind.PAYMENT, -100],
        [LedgerEntryKind.CHARGE, 100],
        [LedgerEntryKind.REFUND, -1],
        [LedgerEntryKind.TRANSFER_OUT, 5],
        [LedgerEntryKind.ADJUSTMENT, 0],
        [LedgerEntryKind.PAYMENT, 0.5],
      ] as const) {
        await expect(post(account.id, kind, amount)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', options: { field: 'amount' } });
      }
      await post(account.id, LedgerEntryKind.ADJUSTMENT, -300);
      await post(account.id, LedgerEntryKind.ADJUSTMENT, 200);
      expect((await billing.runtime.database.manager.findOneByOrFail(AccountEntity, { id: account.id })).balanceMinor).toBe(-100);
      await expect(ledger.post(billing.runtime.database.manager, account.id, { kind: LedgerEntryKind.PAYMENT, amountMinor: 100, description: T('x') })).rejects.toThrow(/inside database.transaction/);
    });

    it('keeps balance = Σ entries and a gap-free chain under concurrent postings', async () => {
      const account = await freshAccount('INDIVIDUAL', 100_000);
      const amounts = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 7_000 : -3_100 - i));
      await Promise.all(amounts.map((amount) => post(account.id, amount > 0 ? LedgerEntryKind.PAYMENT : LedgerEntryKind.CHARGE, amount)));
      const manager = billing.runtime.database.manager;
      const stored = await manager.findOneByOrFail(AccountEntity, { id: account.id });
      const entries = await manager.find(LedgerEntryEntity, { where: { accountId: account.id }, order: { seq: 'ASC' } });
      expect(entries).toHaveLength(amounts.length + 1);
      expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
      let running = 0;
      for (const entry of entries) {
        running += entry.amountMinor;
        expect(entry.balanceAfterMinor).toBe(running);
      }
      expect(stored.balanceMinor).toBe(100_000 + amounts.reduce((a, b) => a + b, 0));
      expect(stored.balanceMinor).toBe(running);
      expect(stored.inDebt).toBe(stored.balanceMinor < 0);
    });
  });
});
