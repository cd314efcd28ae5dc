import { randomBytes, randomUUID } from 'node:crypto';
import { DomainEvent, InboxEventEntity, OutboxEventEntity, billingEvents } from '@selfcare/shared';
import { IsNull } from 'typeorm';
import { RunningSandbox, TEST_CARDS, startSandboxCardProvider } from '@selfcare/gateway';
import { demo, entitiesQuery, errorCodes, graphql, platformForSuite, publishEvent, subscriberRepresentations, suiteFixture, waitFor } from '@selfcare/shared/testing';
import { createDelegationSubgraph } from '@selfcare/delegation';
import {
  AccountEntity,
  LedgerEntryEntity,
  LedgerEntryKind,
  LedgerService,
  LineEntity,
  PaymentEntity,
  PaymentOrigin,
  PaymentStatus,
  TransferEntity,
  TrustPaymentEntity,
  AutopayEntity,
  createBillingSubgraph,
  defaultPaymentsSettings,
} from '../src';
import { grantManagement } from '../../delegation/test/support/grants';

/**
 * billing on its own platform (a manual clock, delegation for "may this caller manage that number", a stand-in
 * identity) with the sandbox provider on a port of its own: what depends on time and on the provider being down —
 * reconciliation's schedule, trust payments that expire into debt, transfer codes that expire — and what follows
 * identity's events (the lines transfers are sent to) and billing's own (autopay, once per trigger).
 */
const { aigerim, nurlan, steppe } = demo;
const secret = randomBytes(24).toString('hex');
const RECONCILE_MS = 100;

describe('billing payments on a manual clock', () => {
  let billingUrl = '';
  const sandbox = suiteFixture<RunningSandbox>(() =>
    startSandboxCardProvider({ secret, webhookUrl: () => (billingUrl ? `${billingUrl}/payments/webhook` : null), timeoutHoldMs: 30_000, actionTtlMs: 1000, webhookRetryMs: [50, 100, 200] }),
  );
  const { t, billing } = platformForSuite(
    {
      delegation: createDelegationSubgraph,
      billing: () =>
        createBillingSubgraph({
          payments: defaultPaymentsSettings(
            { url: () => sandbox.url, secret },
            {
              reconcileIntervalMs: RECONCILE_MS,
              reconcileMaxBackoffMs: 4 * RECONCILE_MS,
              provider: { timeoutMs: 5000, retries: 0 },
              trust: { minTenureDays: 30, minPaidMinor: 100_000, amountMinor: 50_000, days: 3, historyDays: 90 },
              transfers: { minMinor: 5_000, maxMinor: 2_000_000, dailyMaxMinor: 3_000_000, codeTtlSeconds: 300, requestsPerHour: 50 },
            },
          ),
        }),
    },
    { standInIdentity: true, relayPollMs: 50 },
  );
  const events: DomainEvent[] = [];
  beforeAll(async () => {
    billingUrl = billing.url;
    await t.bus.subscribe('billing', 'test-observer', async (event) => void events.push(event));
  });

  const db = () => billing.runtime.database;
  const gql = async (query: string, variables: Record<string, unknown>, subscriberId: string) => graphql<any>(billing.graphqlUrl, query, variables, { token: await t.tokenFor(subscriberId) });
  const ledger = () => new LedgerService(db(), billing.runtime.outboxFor(billingEvents), billing.runtime.clock);
  const post = (accountId: string, kind: LedgerEntryKind, amountMinor: number) =>
    db().transaction((manager) => ledger().post(manager, accountId, { kind, amountMinor, description: { KK: kind, RU: kind, EN: kind }, reference: `test:${randomUUID()}` }));
  const accountOf = (subscriberId: string) => db().manager.findOneByOrFail(AccountEntity, { subscriberId });
  async function token(number: string): Promise<string> {
    const response = await fetch(`${sandbox.url}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number, expMonth: 12, expYear: 2040, cvc: '123' }) });
    return ((await response.json()) as { id: string }).id;
  }
  const PAY = `mutation ($s: ID!, $a: String!, $t: String, $k: String!, $save: Boolean) { payByCard(subscriberId: $s, amount: $a, cardToken: $t, idempotencyKey: $k, saveCard: $save) { id status card { id } } }`;
  const pay = async (subscriberId: string, amount: string, number: string, save = false) => (await gql(PAY, { s: subscriberId, a: amount, t: await token(number), k: randomUUID(), save }, subscriberId)).data!.payByCard as { id: string; status: string; card: { id: string } | null };
  const payment = (id: string) => db().manager.findOneByOrFail(PaymentEntity, { id });

  describe('reconciliation', () => {
    it('asks again on its schedule while the provider is down, and credits once when it answers', async () => {
      sandbox.provider.pauseWebhooks();
      try {
        const before = (await accountOf(aigerim.id)).balanceMinor;
        const pending = await pay(aigerim.id, '100.00', TEST_CARDS.answers500);
        expect(pending.status).toBe('PENDING');
        const first = await payment(pending.id);
        expect(first).toMatchObject({ checks: 1, nextCheckAt: new Date(t.clock.now().getTime() + RECONCILE_MS) });

        await sandbox.stop();
        // Each due question finds nobody and puts the next one off, twice as far each time, up to the cap.
        for (const [checks, waitMs] of [
          [2, 2 * RECONCILE_MS],
          [3, 4 * RECONCILE_MS],
          [4, 4 * RECONCILE_MS],
        ] as const) {
          t.clock.advance(RECONCILE_MS * 4);
          const asked = await waitFor(async () => ((await payment(pending.id)).checks === checks ? payment(pending.id) : undefined), 10_000, `question ${checks}`);
          expect(asked.status).toBe(PaymentStatus.PENDING);
          expect(asked.nextCheckAt!.getTime() - t.clock.now().getTime()).toBe(waitMs);
        }
        await sandbox.restart();
        t.clock.advance(RECONCILE_MS * 4);
        await waitFor(async () => (await payment(pending.id)).status === PaymentStatus.SUCCEEDED, 10_000, 'the payment to be reconciled');
        expect((await accountOf(aigerim.id)).balanceMinor).toBe(before + 10_000);
        expect(await db().manager.count(LedgerEntryEntity, { where: { reference: `payment:${pending.id}` } })).toBe(1);
        expect((await payment(pending.id)).nextCheckAt).toBeNull();
      } finally {
        sandbox.provider.resumeWebhooks();
      }
    });

    it('takes over the payment of a request that died, at the very moment its lease ends', async () => {
      const account = await accountOf(steppe.id);
      const until = new Date(t.clock.now().getTime() + 1000);
      const id = randomUUID();
      // As a killed process leaves it: PENDING, never answered, its lease and first question at the same instant.
      await db().manager.insert(PaymentEntity, {
        id,
        accountId: account.id,
        subscriberId: steppe.id,
        actorId: steppe.id,
        viaManagement: false,
        channel: 'WEB',
        origin: PaymentOrigin.SUBSCRIBER,
        idempotencyKey: `${steppe.id}:${randomUUID()}`,
        requestHash: 'x'.repeat(64),
        amountMinor: 12_300,
        currency: 'KZT',
        cardToken: await token(TEST_CARDS.succeeds),
        savedCardId: null,
        saveToAccountId: null,
        status: PaymentStatus.PENDING,
        failureCode: null,
        providerChargeId: null,
        actionUrl: null,
        cardBrand: null,
        cardLast4: null,
        checks: 0,
        nextCheckAt: until,
        leaseUntil: until,
        createdAt: t.clock.now(),
        updatedAt: t.clock.now(),
        completedAt: null,
      });
      t.clock.set(until);
      await waitFor(async () => (await payment(id)).status === PaymentStatus.SUCCEEDED, 10_000, 'the payment to be taken over');
      expect(await db().manager.count(LedgerEntryEntity, { where: { reference: `payment:${id}` } })).toBe(1);
      expect(sandbox.provider.charges({ reference: id })).toHaveLength(1);
    });

    it('fails a 3-D Secure step nobody answered once the provider gives up on it, found by the next question', async () => {
      sandbox.provider.pauseWebhooks();
      try {
        const waiting = await pay(nurlan.id, '100.00', TEST_CARDS.threeDSecure);
        expect(waiting.status).toBe('REQUIRES_ACTION');
        const charge = sandbox.provider.charges({ reference: waiting.id })[0]!;
        // The holder never answers; after its time (a second here) the provider fails the step.
        const auth = { authorization: `Bearer ${secret}` };
        await waitFor(async () => ((await (await fetch(`${sandbox.url}/v1/charges/${charge.id}`, { headers: auth })).json()) as { status: string }).status === 'failed', 10_000, 'the provider to give up');
        expect((await payment(waiting.id)).status).toBe(PaymentStatus.REQUIRES_ACTION);
        t.clock.advance(10 * RECONCILE_MS);
        await waitFor(async () => (await payment(waiting.id)).status === PaymentStatus.FAILED, 10_000, 'the step to fail');
        expect((await payment(waiting.id)).failureCode).toBe('PAYMENT_DECLINED');
      } finally {
        sandbox.provider.resumeWebhooks();
      }
    });
  });

  describe('trust payment', () => {
    const TAKE = `mutation ($s: ID!) { takeTrustPayment(subscriberId: $s) { id status outstanding { amount } expiresAt } }`;

    it('asks for tenure and a payment history, and no debt', async () => {
      const fresh = await db().transaction(async (manager) => (await ledger().openAccount(manager, { subscriberId: randomUUID(), kind: 'MOBILE', partyType: 'INDIVIDUAL' })).account);
      const tenure = await gql(TAKE, { s: fresh.subscriberId }, fresh.subscriberId);
      expect([errorCodes(tenure), tenure.errors![0]!.extensions!.reason]).toEqual([['CONFLICT'], 'TENURE']);
      t.clock.advance(31 * 24 * 3600 * 1000);
      const history = await gql(TAKE, { s: fresh.subscriberId }, fresh.subscriberId);
      expect(history.errors![0]!.extensions!.reason).toBe('PAYMENT_HISTORY');
      expect(history.errors![0]!.message).toBe('Доверительный платёж доступен, если за последние 90 дней оплачено не меньше 1000.00 ₸');
      await post(fresh.id, LedgerEntryKind.PAYMENT, 100_000);
      await post(fresh.id, LedgerEntryKind.CHARGE, -150_000);
      expect((await gql(TAKE, { s: fresh.subscriberId }, fresh.subscriberId)).errors![0]!.extensions!.reason).toBe('IN_DEBT');
    });

    it('unpaid at expiry is taken back from the balance: debt, DebtIncurred, and the subscriber is told', async () => {
      const account = await db().transaction(async (manager) => (await ledger().openAccount(manager, { subscriberId: randomUUID(), kind: 'MOBILE', partyType: 'INDIVIDUAL' })).account);
      t.clock.advance(31 * 24 * 3600 * 1000);
      await post(account.id, LedgerEntryKind.PAYMENT, 100_000);
      await post(account.id, LedgerEntryKind.CHARGE, -100_000);
      const taken = (await gql(TAKE, { s: account.subscriberId }, account.subscriberId)).data!.takeTrustPayment;
      expect(taken).toMatchObject({ status: 'OPEN', outstanding: { amount: '500.00' } });
      await post(account.id, LedgerEntryKind.CHARGE, -40_000); // spent: 100.00 left
      t.clock.advance(3 * 24 * 3600 * 1000);
      const expired = await waitFor(() => db().manager.findOneBy(TrustPaymentEntity, { id: taken.id }).then((row) => (row?.status === 'EXPIRED' ? row : undefined)), 10_000, 'the expiry');
      expect(expired).toMatchObject({ outstandingMinor: 50_000, openAccountId: null });
      const stored = await db().manager.findOneByOrFail(AccountEntity, { id: account.id });
      expect(stored).toMatchObject({ balanceMinor: -40_000, inDebt: true });
      await waitFor(() => events.some((e) => e.type === 'DebtIncurred' && e.payload.accountId === account.id), 10_000, 'DebtIncurred');
      await waitFor(() => events.some((e) => e.type === 'SubscriberNotificationRequested' && e.payload.key === `trust:${taken.id}:expired`), 10_000, 'the notice');
      // Open no more: nothing repays it, nothing expires it twice.
      expect(await db().manager.count(LedgerEntryEntity, { where: { accountId: account.id, kind: LedgerEntryKind.ADJUSTMENT } })).toBe(2);
    });
  });

  describe('transfers', () => {
    const TRANSFER = `mutation ($from: ID!, $to: PhoneNumber!, $a: String!, $k: String!) { transferBalance(fromSubscriberId: $from, toMsisdn: $to, amount: $a, idempotencyKey: $k) { id status } }`;
    const CONFIRM = `mutation ($id: ID!, $code: String!) { confirmTransfer(id: $id, code: $code) { status } }`;
    const codeOf = async (to: string, since: number) => (await waitFor(() => t.sentSms.slice(since).find((m) => m.to === to), 10_000, 'the code SMS')).text.slice(0, 6);

    it('a code entered after its time is CODE_EXPIRED and moves nothing', async () => {
      const since = t.sentSms.length;
      const started = (await gql(TRANSFER, { from: aigerim.id, to: nurlan.msisdn, a: '100.00', k: randomUUID() }, aigerim.id)).data!.transferBalance;
      const code = await codeOf(aigerim.msisdn!, since);
      t.clock.advance(301_000);
      const read = await gql(`{ _entities(representations: [{ __typename: "BalanceTransfer", id: "${started.id}" }]) { ... on BalanceTransfer { status codeExpiresAt attemptsLeft } } }`, {}, aigerim.id);
      expect(read.data!._entities[0]).toEqual({ status: 'EXPIRED', codeExpiresAt: null, attemptsLeft: null });
      expect(errorCodes(await gql(CONFIRM, { id: started.id, code }, aigerim.id))).toEqual(['CODE_EXPIRED']);
      expect((await db().manager.findOneByOrFail(TransferEntity, { id: started.id })).status).toBe('EXPIRED');
    });

    it('refuses past the daily limit, counted over 24 hours under the lock', async () => {
      await post((await accountOf(steppe.id)).id, LedgerEntryKind.PAYMENT, 10_000_000);
      const send = async (amount: string) => {
        const since = t.sentSms.length;
        const started = await gql(TRANSFER, { from: steppe.id, to: aigerim.msisdn, a: amount, k: randomUUID() }, steppe.id);
        if (started.errors) return started;
        return gql(CONFIRM, { id: started.data!.transferBalance.id, code: await codeOf(steppe.msisdn!, since) }, steppe.id);
      };
      expect((await send('20000.00')).data!.confirmTransfer.status).toBe('COMPLETED');
      const over = await send('10000.01');
      expect([errorCodes(over), over.errors![0]!.extensions!.field]).toEqual([['BAD_USER_INPUT'], 'amount']);
      expect((await send('10000.00')).data!.confirmTransfer.status).toBe('COMPLETED');
      t.clock.advance(24 * 3600 * 1000 + 1000);
      expect((await send('20000.00')).data!.confirmTransfer.status).toBe('COMPLETED');
    });

    it('counts every attempt against the hourly limit, numbers not found too (no enumerating Beeline numbers)', async () => {
      const since = t.clock.now();
      let refused = null;
      for (let i = 0; i < 60 && !refused; i += 1) {
        const answer = await gql(TRANSFER, { from: nurlan.id, to: `+7701${String(5_000_000 + i)}`, a: '100.00', k: randomUUID() }, nurlan.id);
        if (errorCodes(answer)[0] === 'RATE_LIMITED') refused = { i, answer };
        else expect(errorCodes(answer)).toEqual(['NOT_FOUND']);
      }
      expect(refused!.i).toBe(50);
      expect(refused!.answer.errors![0]!.extensions!.retryAfterSeconds).toBe(3600);
      // A number that exists is refused too until the hour has passed.
      expect(errorCodes(await gql(TRANSFER, { from: nurlan.id, to: aigerim.msisdn, a: '100.00', k: randomUUID() }, nurlan.id))).toEqual(['RATE_LIMITED']);
      t.clock.set(new Date(since.getTime() + 3600_001));
      expect((await gql(TRANSFER, { from: nurlan.id, to: aigerim.msisdn, a: '100.00', k: randomUUID() }, nurlan.id)).data!.transferBalance.status).toBe('AWAITING_CONFIRMATION');
    });

    it('keeps an open trust payment out of what may be transferred', async () => {
      const account = await db().transaction(async (manager) => (await ledger().openAccount(manager, { subscriberId: randomUUID(), kind: 'MOBILE', partyType: 'INDIVIDUAL' })).account);
      await db().manager.insert(LineEntity, { subscriberId: account.subscriberId, msisdn: '+77017770022', language: 'RU', ended: false, updatedAt: t.clock.now() });
      t.clock.advance(31 * 24 * 3600 * 1000);
      await post(account.id, LedgerEntryKind.PAYMENT, 100_000); // 1000.00 of one's own
      expect((await gql(`mutation ($s: ID!) { takeTrustPayment(subscriberId: $s) { status } }`, { s: account.subscriberId }, account.subscriberId)).data!.takeTrustPayment.status).toBe('OPEN');
      // 1500.00 on the account, 500.00 of it the trust payment's: 1000.01 is too much, 1000.00 is not.
      const over = await gql(TRANSFER, { from: account.subscriberId, to: aigerim.msisdn, a: '1000.01', k: randomUUID() }, account.subscriberId);
      expect(errorCodes(over)).toEqual(['INSUFFICIENT_FUNDS']);
      const since = t.sentSms.length;
      const started = (await gql(TRANSFER, { from: account.subscriberId, to: aigerim.msisdn, a: '1000.00', k: randomUUID() }, account.subscriberId)).data!.transferBalance;
      expect((await gql(CONFIRM, { id: started.id, code: await codeOf('+77017770022', since) }, account.subscriberId)).data!.confirmTransfer.status).toBe('COMPLETED');
      expect((await accountOf(account.subscriberId)).balanceMinor).toBe(50_000);
    });

    it("follows identity's lines: a new number takes transfers, a terminated or erased one does not", async () => {
      const id = randomUUID();
      const msisdn = '+77017770011';
      await publishEvent(t.bus, 'identity', 1_000_001, 'SubscriberProvisioned', { subscriberId: id, kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '8 701 777 00 11', language: 'EN' });
      await waitFor(() => db().manager.exists(AccountEntity, { where: { subscriberId: id } }), 10_000, 'the account');
      expect(await db().manager.findOneByOrFail(LineEntity, { subscriberId: id })).toMatchObject({ msisdn, language: 'EN', ended: false });
      await publishEvent(t.bus, 'identity', 1_000_002, 'SubscriberLanguageChanged', { subscriberId: id, language: 'KK' });
      await waitFor(async () => (await db().manager.findOneByOrFail(LineEntity, { subscriberId: id })).language === 'KK', 10_000, 'the language');
      expect((await gql(TRANSFER, { from: aigerim.id, to: msisdn, a: '100.00', k: randomUUID() }, aigerim.id)).data!.transferBalance.status).toBe('AWAITING_CONFIRMATION');
      await publishEvent(t.bus, 'identity', 1_000_003, 'AccessStatusChanged', { subscriberId: id, status: 'TERMINATED', reason: 'CONTRACT_ENDED', previousStatus: 'ACTIVE', previousReason: null, changedAt: t.clock.now().toISOString() });
      await waitFor(async () => (await db().manager.findOneByOrFail(LineEntity, { subscriberId: id })).ended, 10_000, 'the end of the contract');
      expect(errorCodes(await gql(TRANSFER, { from: aigerim.id, to: msisdn, a: '100.00', k: randomUUID() }, aigerim.id))).toEqual(['NOT_FOUND']);
      await publishEvent(t.bus, 'identity', 1_000_004, 'SubscriberDataErased', { subscriberId: id, contractEndedAt: t.clock.now().toISOString(), erasedAt: t.clock.now().toISOString() });
      await waitFor(async () => (await db().manager.findOneByOrFail(LineEntity, { subscriberId: id })).msisdn === null, 10_000, 'the erasure');
    });
  });

  describe('autopay', () => {
    it('pays once per trigger however often the triggering event comes', async () => {
      const saved = await pay(steppe.id, '100.00', TEST_CARDS.succeeds, true);
      const account = await accountOf(steppe.id);
      await gql(
        `mutation ($s: ID!, $c: ID!, $th: String!) { setAutopay(subscriberId: $s, savedCardId: $c, threshold: $th, amount: "300.00") { enabled } }`,
        { s: steppe.id, c: saved.card!.id, th: ((account.balanceMinor - 100) / 100).toFixed(2) },
        steppe.id,
      );
      const crossing = await post(account.id, LedgerEntryKind.CHARGE, -200);
      const key = `autopay:${crossing.entry.id}`;
      await waitFor(() => db().manager.findOne(PaymentEntity, { where: { idempotencyKey: key } }).then((p) => p?.status === PaymentStatus.SUCCEEDED), 10_000, 'the top-up');
      // The same ledger entry announced again (a replayed stream, a new event id): still one top-up.
      const replayId = 9_000_000;
      await publishEvent(t.bus, 'billing', replayId, 'BalanceChanged', {
        subscriberId: steppe.id,
        accountId: account.id,
        entryId: crossing.entry.id,
        seq: crossing.entry.seq,
        kind: 'CHARGE',
        amountMinor: -200,
        balanceMinor: crossing.entry.balanceAfterMinor,
        at: crossing.entry.at.toISOString(),
      });
      await waitFor(() => db().manager.exists(InboxEventEntity, { where: { consumerGroup: 'billing', stream: 'billing', eventId: replayId } }), 10_000, 'the replay to be taken');
      expect(await db().manager.count(PaymentEntity, { where: { idempotencyKey: key } })).toBe(1);
      expect(await db().manager.count(LedgerEntryEntity, { where: { accountId: account.id, kind: LedgerEntryKind.PAYMENT, amountMinor: 30_000 } })).toBe(1);
      expect((await db().manager.findOneByOrFail(AutopayEntity, { accountId: account.id })).enabled).toBe(true);
    });
  });

});

describe('billing payments: reads (no N+1)', () => {
  // Slow background rounds (relay, reconciliation): the statement counter sees the requests' statements only.
  const sandbox = suiteFixture<RunningSandbox>(() => startSandboxCardProvider({ secret, webhookUrl: () => null }));
  const { t, delegation, billing } = platformForSuite(
    {
      delegation: createDelegationSubgraph,
      billing: () => createBillingSubgraph({ payments: defaultPaymentsSettings({ url: () => sandbox.url, secret }, { reconcileIntervalMs: 60_000 }) }),
    },
    { standInIdentity: true },
  );

  it('pages the payments of several accounts, with their cards, in a constant number of statements', async () => {
    const owners = [aigerim, nurlan, steppe];
    for (const owner of owners) {
      const response = await fetch(`${sandbox.url}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number: TEST_CARDS.succeeds, expMonth: 12, expYear: 2040, cvc: '123' }) });
      const cardToken = ((await response.json()) as { id: string }).id;
      const paid = await graphql<any>(
        billing.graphqlUrl,
        `mutation ($s: ID!, $t: String!, $k: String!) { payByCard(subscriberId: $s, amount: "150.00", cardToken: $t, idempotencyKey: $k, saveCard: true) { status } }`,
        { s: owner.id, t: cardToken, k: randomUUID() },
        { token: await t.tokenFor(owner.id) },
      );
      expect(paid.data!.payByCard.status).toBe('SUCCEEDED');
    }
    const manager = randomUUID();
    for (const [i, owner] of owners.entries()) await grantManagement(delegation, manager, owner.id, `+7700000009${i}`);
    const token = await t.tokenFor(manager);
    // The payments' events drained first (published, and billing's own BalanceChanged taken): no statement of theirs is counted.
    const db = billing.runtime.database;
    await waitFor(async () => {
      const unpublished = await db.manager.count(OutboxEventEntity, { where: { publishedAt: IsNull() } });
      const changes = await db.manager.count(OutboxEventEntity, { where: { type: 'BalanceChanged' } });
      const taken = await db.manager.count(InboxEventEntity, { where: { consumerGroup: 'billing', stream: 'billing' } });
      return unpublished === 0 && taken >= changes;
    }, 10_000, 'the events to drain');
    const selection = 'account { payments(first: 5) { edges { node { id status amount { amount } card { last4 } subscriber { id } } } pageInfo { hasNextPage } } }';
    const counter = billing.runtime.database.counter;
    const measure = async (ids: string[]) => {
      const before = counter.count;
      const response = await graphql<any>(billing.graphqlUrl, entitiesQuery('Subscriber', selection), { representations: subscriberRepresentations(ids) }, { token });
      expect(response.errors).toBeUndefined();
      expect(response.data!._entities.every((e: any) => e.account.payments.edges[0].node.card.last4 === '4242')).toBe(true);
      return counter.count - before;
    };
    const ids = owners.map((o) => o.id);
    await measure(ids);
    const one = await measure(ids.slice(0, 1));
    const three = await measure(ids);
    expect(three).toBe(one);
    expect(three).toBeLessThanOrEqual(3); // accounts, one ranked page of payments, their cards
  });
});
