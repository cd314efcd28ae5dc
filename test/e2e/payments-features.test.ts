import { randomUUID } from 'node:crypto';
import { AccountEntity, AutopayEntity, LedgerEntryEntity, LedgerEntryKind, LedgerService, PaymentEntity, SavedCardEntity, TrustPaymentEntity } from '@selfcare/billing';
import { InboxEventEntity, OutboxEventEntity, billingEvents } from '@selfcare/shared';
import { demo, suiteFixture, waitFor } from '@selfcare/shared/testing';
import { grantManagement } from '../../subgraphs/delegation/test/support/grants';
import { TestSystem } from '../support/system';
import { TEST_CARDS, answer3ds, balanceOf, cardToken, pay, paymentById } from '../support/payments';

/**
 * Saved cards, autopay, trust payment and transfers between numbers, through the gateway with the sandbox provider.
 */
const { aigerim, nurlan, steppe, unregistered, home } = demo;

describe('saved cards, autopay, trust payment and transfers', () => {
  const t = suiteFixture(() =>
    TestSystem.start({
      payments: {
        reconcileIntervalMs: 100,
        reconcileMaxBackoffMs: 400,
        provider: { timeoutMs: 5000, retries: 1 },
        trust: { minTenureDays: 0, minPaidMinor: 100_000, amountMinor: 50_000, days: 3, historyDays: 90 },
        transfers: { minMinor: 5_000, maxMinor: 2_000_000, dailyMaxMinor: 5_000_000, codeTtlSeconds: 300, requestsPerHour: 50 },
      },
    }),
  );
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    for (const s of [aigerim, nurlan, steppe]) tokens[s.id] = (await t.login(s.login, 'Demo-2026')).accessToken;
    tokens[home.id] = (await t.login(home.login, 'Demo-2026')).accessToken;
  });
  const key = () => randomUUID();
  const cents = (amount: string) => Math.round(Number(amount) * 100);
  const db = () => t.system.subgraphs.billing.runtime.database;
  const accountOf = (subscriberId: string) => db().manager.findOneByOrFail(AccountEntity, { subscriberId });
  const gql = <T = any>(query: string, variables: Record<string, unknown>, subscriberId: string) => t.graphql<T>(query, variables, { token: tokens[subscriberId] });

  /** A charge posted the way other subgraphs' orders post theirs: through billing's ledger. */
  async function charge(subscriberId: string, amountMinor: number): Promise<string> {
    const runtime = t.system.subgraphs.billing.runtime;
    const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
    return runtime.database.transaction(async (manager) => {
      const account = await manager.findOneOrFail(AccountEntity, { where: { subscriberId } });
      const posted = await ledger.post(manager, account.id, { amountMinor: -amountMinor, kind: LedgerEntryKind.CHARGE, description: { KK: 'Төлем', RU: 'Списание', EN: 'Charge' }, reference: `test:${randomUUID()}` });
      return posted.entry.id;
    });
  }

  /** Billing's own consumer has taken the BalanceChanged event of this entry (what autopay follows). */
  async function autopayConsidered(entryId: string): Promise<void> {
    const event = await waitFor(async () => {
      const rows = await db().manager.find(OutboxEventEntity, { where: { stream: 'billing', type: 'BalanceChanged' }, order: { id: 'DESC' }, take: 50 });
      return rows.find((row) => (row.payload as { entryId?: string }).entryId === entryId);
    }, 10_000, 'the BalanceChanged event');
    await waitFor(() => db().manager.exists(InboxEventEntity, { where: { consumerGroup: 'billing', stream: 'billing', eventId: event.id } }), 10_000, 'billing to take its own event');
  }

  const CARDS = `{ me { account { cards { id brand last4 expMonth expYear } } } }`;

  describe('saved cards', () => {
    let savedId = '';

    it('saves only the provider token and display data, and pays with the saved card', async () => {
      const before = (await gql(CARDS, {}, aigerim.id)).data!.me.account.cards as { id: string }[];
      const first = await pay(t, tokens[aigerim.id]!, { s: aigerim.id, a: '200.00', t: await cardToken(t.url, '5555555555554444', { expMonth: 3 }), k: key(), save: true });
      expect(first.data!.payByCard).toMatchObject({ status: 'SUCCEEDED', card: { brand: 'MASTERCARD', last4: '4444', expMonth: 3 } });
      savedId = first.data!.payByCard.card!.id;
      const cards = (await gql(CARDS, {}, aigerim.id)).data!.me.account.cards as { id: string }[];
      expect(cards.map((c) => c.id)).toEqual([...before.map((c) => c.id), savedId]);
      const row = await db().manager.findOneByOrFail(SavedCardEntity, { id: savedId });
      expect(row.providerToken).toMatch(/^pm_/);
      expect(Object.keys(row).sort()).toEqual(['accountId', 'brand', 'createdAt', 'expMonth', 'expYear', 'id', 'last4', 'providerToken', 'removedAt']);

      // The same card saved again stays one entry.
      const again = await pay(t, tokens[aigerim.id]!, { s: aigerim.id, a: '200.00', t: await cardToken(t.url, '5555555555554444', { expMonth: 3 }), k: key(), save: true });
      expect(again.data!.payByCard.card!.id).toBe(savedId);

      const withSaved = await pay(t, tokens[aigerim.id]!, { s: aigerim.id, a: '210.00', c: savedId, k: key() });
      expect(withSaved.data!.payByCard).toMatchObject({ status: 'SUCCEEDED', card: { id: savedId, last4: '4444' } });
      expect(t.system.cardProvider!.charges({ reference: withSaved.data!.payByCard.id })[0]!.card.last4).toBe('4444');
    });

    it('pays with the seeded demo card', async () => {
      const seeded = ((await gql(CARDS, {}, aigerim.id)).data!.me.account.cards as { id: string; last4: string }[]).find((c) => c.last4 === '4242')!;
      expect((await pay(t, tokens[aigerim.id]!, { s: aigerim.id, a: '100.00', c: seeded.id, k: key() })).data!.payByCard.status).toBe('SUCCEEDED');
    });

    it("refuses another subscriber's saved card (NOT_FOUND, whoever owns it), and saves a manager's card on the manager's own account", async () => {
      const foreign = await pay(t, tokens[nurlan.id]!, { s: nurlan.id, a: '100.00', c: savedId, k: key() });
      expect(TestSystem.code(foreign)).toBe('NOT_FOUND');
      await grantManagement(t.system.subgraphs.delegation, aigerim.id, unregistered.id, unregistered.msisdn!);
      // The manager's own card pays for the managed number…
      expect((await pay(t, tokens[aigerim.id]!, { s: unregistered.id, a: '100.00', c: savedId, k: key() })).data!.payByCard.status).toBe('SUCCEEDED');
      // …and a card the manager saves while paying for it is the manager's, not the owner's.
      const saved = await pay(t, tokens[aigerim.id]!, { s: unregistered.id, a: '100.00', t: await cardToken(t.url, '4000056655665556'), k: key(), save: true });
      const cardId = saved.data!.payByCard.card!.id;
      expect((await db().manager.findOneByOrFail(SavedCardEntity, { id: cardId })).accountId).toBe((await accountOf(aigerim.id)).id);
      const ownerCards = await gql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { account { cards { id } } } }`, { m: unregistered.msisdn }, aigerim.id);
      expect(ownerCards.data!.subscriber.account.cards).toEqual([]);
    });

    it('removes a card: gone from the list, unusable, forgotten by the provider; twice is NOT_FOUND, another’s is FORBIDDEN', async () => {
      const saved = await pay(t, tokens[nurlan.id]!, { s: nurlan.id, a: '100.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: key(), save: true });
      const cardId = saved.data!.payByCard.card!.id;
      const token = (await db().manager.findOneByOrFail(SavedCardEntity, { id: cardId })).providerToken;
      const REMOVE = `mutation ($id: ID!) { removeSavedCard(id: $id) }`;
      expect(TestSystem.code(await gql(REMOVE, { id: cardId }, aigerim.id))).toBe('FORBIDDEN');
      expect((await gql(REMOVE, { id: cardId }, nurlan.id)).data).toEqual({ removeSavedCard: true });
      expect(((await gql(CARDS, {}, nurlan.id)).data!.me.account.cards as { id: string }[]).map((c) => c.id)).not.toContain(cardId);
      expect(TestSystem.code(await gql(REMOVE, { id: cardId }, nurlan.id))).toBe('NOT_FOUND');
      expect(TestSystem.code(await pay(t, tokens[nurlan.id]!, { s: nurlan.id, a: '100.00', c: cardId, k: key() }))).toBe('NOT_FOUND');
      // The payment that saved it still shows it.
      expect((await paymentById(t, tokens[nurlan.id]!, saved.data!.payByCard.id))!.card!.id).toBe(cardId);
      const secret = t.system.payments.provider.secret;
      await waitFor(async () => {
        const answer = await fetch(`${t.url}/v1/charges`, {
          method: 'POST',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
          body: JSON.stringify({ amount: 100, currency: 'KZT', source: token, reference: 'probe' }),
        });
        return answer.status === 400 && ((await answer.json()) as any).error.code === 'payment_method_invalid';
      }, 10_000, 'the provider to forget the card');
    });

    it('keeps at most five saved cards', async () => {
      const account = await accountOf(steppe.id);
      for (let i = 0; i < 5; i += 1) {
        await db().manager.insert(SavedCardEntity, { id: randomUUID(), accountId: account.id, brand: 'VISA', last4: String(1000 + i), expMonth: 1, expYear: 2030, providerToken: `pm_fake${i}`, createdAt: new Date(), removedAt: null });
      }
      const sixth = await pay(t, tokens[steppe.id]!, { s: steppe.id, a: '100.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: key(), save: true });
      expect([TestSystem.code(sixth), sixth.errors?.[0]?.extensions?.field]).toEqual(['BAD_USER_INPUT', 'saveCard']);
    });
  });

  describe('autopay', () => {
    const SET = `mutation ($s: ID!, $c: ID!, $th: String!, $a: String!) { setAutopay(subscriberId: $s, savedCardId: $c, threshold: $th, amount: $a) { enabled threshold { amount } amount { amount } card { last4 } failureCode } }`;
    const AUTOPAY = `{ me { account { autopay { enabled failureCode threshold { amount } amount { amount } card { last4 } } payments(first: 1) { edges { node { id status autopay amount { amount } } } } } } }`;

    it('tops up once when a charge takes the balance below the threshold, and not for charges below it', async () => {
      await db().manager.delete(SavedCardEntity, { accountId: (await accountOf(steppe.id)).id });
      const saved = await pay(t, tokens[steppe.id]!, { s: steppe.id, a: '100.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: key(), save: true });
      const cardId = saved.data!.payByCard.card!.id;
      const balance = cents(await balanceOf(t, tokens[steppe.id]!));
      const threshold = balance - 10_000;
      const set = await gql(SET, { s: steppe.id, c: cardId, th: (threshold / 100).toFixed(2), a: '500.00' }, steppe.id);
      expect(set.data!.setAutopay).toMatchObject({ enabled: true, amount: { amount: '500.00' }, card: { last4: '4242' }, failureCode: null });
      const topUpFor = (entryId: string) =>
        waitFor(() => db().manager.findOne(PaymentEntity, { where: { idempotencyKey: `autopay:${entryId}` } }).then((p) => (p?.status === 'SUCCEEDED' ? p : undefined)), 15_000, 'the autopay top-up');
      const noTopUpFor = async (entryId: string) => {
        await autopayConsidered(entryId);
        expect(await db().manager.exists(PaymentEntity, { where: { idempotencyKey: `autopay:${entryId}` } })).toBe(false);
      };

      // threshold + 100.00 → threshold − 100.00: one top-up of 500.00.
      const topUp = await topUpFor(await charge(steppe.id, 20_000));
      expect(topUp.amountMinor).toBe(50_000);
      expect(cents(await balanceOf(t, tokens[steppe.id]!))).toBe(threshold + 40_000);
      const view = (await gql(AUTOPAY, {}, steppe.id)).data!.me.account;
      expect(view.payments.edges[0].node).toEqual({ id: topUp.id, status: 'SUCCEEDED', autopay: true, amount: { amount: '500.00' } });
      expect(await db().manager.count(LedgerEntryEntity, { where: { reference: `payment:${topUp.id}` } })).toBe(1);

      // Above the threshold after it: nothing.
      await noTopUpFor(await charge(steppe.id, 10_000));
      // Crossing again, by far: one top-up, and the balance stays below…
      await topUpFor(await charge(steppe.id, 200_000));
      expect(cents(await balanceOf(t, tokens[steppe.id]!))).toBe(threshold - 120_000);
      // …so a charge below the threshold crosses nothing: no top-up.
      await noTopUpFor(await charge(steppe.id, 10));
    });

    it('a failing card turns autopay off and tells the subscriber', async () => {
      // A 3-D Secure card, saved on an approved payment: off-session (autopay) it cannot be authenticated.
      const first = (await pay(t, tokens[nurlan.id]!, { s: nurlan.id, a: '100.00', t: await cardToken(t.url, TEST_CARDS.threeDSecure), k: key(), save: true })).data!.payByCard;
      await answer3ds(first.actionUrl!, 'approve');
      const paid = await waitFor(async () => ((await paymentById(t, tokens[nurlan.id]!, first.id))?.status === 'SUCCEEDED' ? paymentById(t, tokens[nurlan.id]!, first.id) : undefined), 10_000, 'the 3-D Secure payment');
      const balance = cents(await balanceOf(t, tokens[nurlan.id]!));
      await gql(SET, { s: nurlan.id, c: paid!.card!.id, th: (balance / 100).toFixed(2), a: '300.00' }, nurlan.id);
      const crossing = await charge(nurlan.id, 100);
      const failed = await waitFor(() => db().manager.findOne(PaymentEntity, { where: { idempotencyKey: `autopay:${crossing}` } }).then((p) => (p?.status === 'FAILED' ? p : undefined)), 15_000, 'the failed top-up');
      expect(failed.failureCode).toBe('PAYMENT_DECLINED');
      const view = (await gql(AUTOPAY, {}, nurlan.id)).data!.me.account.autopay;
      expect(view).toMatchObject({ enabled: false, failureCode: 'PAYMENT_DECLINED' });
      expect(cents(await balanceOf(t, tokens[nurlan.id]!))).toBe(balance - 100);
      const notice = await waitFor(async () => {
        const r = await gql(`{ me { notifications(first: 5) { edges { node { title body } } } } }`, {}, nurlan.id);
        return r.data?.me.notifications.edges.find((e: any) => e.node.title === 'Автотөлем тоқтатылды')?.node;
      }, 10_000, 'the notice in kk');
      expect(notice.body).toContain('3220');
      // Set again, then turned off by the subscriber: a charge that would cross pays nothing.
      const now = cents(await balanceOf(t, tokens[nurlan.id]!));
      expect((await gql(SET, { s: nurlan.id, c: paid!.card!.id, th: (now / 100).toFixed(2), a: '300.00' }, nurlan.id)).data!.setAutopay.enabled).toBe(true);
      expect((await gql(`mutation ($s: ID!) { disableAutopay(subscriberId: $s) { enabled } }`, { s: nurlan.id }, nurlan.id)).data).toEqual({ disableAutopay: { enabled: false } });
      const next = await charge(nurlan.id, 100);
      await autopayConsidered(next);
      expect(await db().manager.exists(PaymentEntity, { where: { idempotencyKey: `autopay:${next}` } })).toBe(false);
    });

    it('refuses bad settings, a card of someone else, and another subscriber’s number; a removed card takes autopay with it', async () => {
      const cards = (await gql(CARDS, {}, aigerim.id)).data!.me.account.cards as { id: string }[];
      const cardId = cards[0]!.id;
      for (const [vars, field] of [
        [{ th: '-1', a: '500.00' }, 'threshold'],
        [{ th: '100.000', a: '500.00' }, 'threshold'],
        [{ th: '100.00', a: '1.00' }, 'amount'],
        [{ th: '100.00', a: '999999.00' }, 'amount'],
      ] as const) {
        const response = await gql(SET, { s: aigerim.id, c: cardId, ...vars }, aigerim.id);
        expect([TestSystem.code(response), response.errors?.[0]?.extensions?.field]).toEqual(['BAD_USER_INPUT', field]);
      }
      expect(TestSystem.code(await gql(SET, { s: nurlan.id, c: cardId, th: '100.00', a: '500.00' }, aigerim.id))).toBe('FORBIDDEN');
      expect(TestSystem.code(await gql(SET, { s: steppe.id, c: cardId, th: '100.00', a: '500.00' }, steppe.id))).toBe('NOT_FOUND');
      // A manager's own card pays for a managed number once, but does not go on paying by autopay (after 4.4 it could not be stopped).
      const managerCard = (await gql(CARDS, {}, aigerim.id)).data!.me.account.cards[0].id as string;
      expect(TestSystem.code(await gql(SET, { s: unregistered.id, c: managerCard, th: '100.00', a: '500.00' }, aigerim.id))).toBe('NOT_FOUND');
      expect((await gql(SET, { s: aigerim.id, c: cardId, th: '100.00', a: '500.00' }, aigerim.id)).data!.setAutopay.enabled).toBe(true);
      expect((await gql(`mutation ($id: ID!) { removeSavedCard(id: $id) }`, { id: cardId }, aigerim.id)).data).toEqual({ removeSavedCard: true });
      const autopay = await db().manager.findOneByOrFail(AutopayEntity, { accountId: (await accountOf(aigerim.id)).id });
      expect(autopay.enabled).toBe(false);
      expect((await gql(AUTOPAY, {}, aigerim.id)).data!.me.account.autopay).toMatchObject({ enabled: false, card: null });
    });
  });

  describe('trust payment', () => {
    const TAKE = `mutation ($s: ID!) { takeTrustPayment(subscriberId: $s) { id status amount { amount } outstanding { amount } grantedAt expiresAt } }`;
    const TRUST = `{ me { account { trustPayment { status outstanding { amount } } entries(first: 3) { edges { node { kind amount { amount } description } } } } } }`;

    it('credits the configured amount for the configured days, one open at a time, and the next payments repay it', async () => {
      const before = cents(await balanceOf(t, tokens[aigerim.id]!));
      const taken = (await gql(TAKE, { s: aigerim.id }, aigerim.id)).data!.takeTrustPayment;
      expect(taken).toMatchObject({ status: 'OPEN', amount: { amount: '500.00' }, outstanding: { amount: '500.00' } });
      expect(new Date(taken.expiresAt).getTime() - new Date(taken.grantedAt).getTime()).toBe(3 * 24 * 3600 * 1000);
      expect(cents(await balanceOf(t, tokens[aigerim.id]!))).toBe(before + 50_000);
      const again = await gql(TAKE, { s: aigerim.id }, aigerim.id);
      expect([TestSystem.code(again), again.errors?.[0]?.extensions?.reason]).toEqual(['CONFLICT', 'OPEN']);

      await pay(t, tokens[aigerim.id]!, { s: aigerim.id, a: '300.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: key() });
      let view = (await gql(TRUST, {}, aigerim.id)).data!.me.account;
      expect(view.trustPayment).toEqual({ status: 'OPEN', outstanding: { amount: '200.00' } });
      expect(view.entries.edges.slice(0, 2).map((e: any) => [e.node.kind, e.node.amount.amount])).toEqual([
        ['ADJUSTMENT', '-300.00'],
        ['PAYMENT', '300.00'],
      ]);
      await pay(t, tokens[aigerim.id]!, { s: aigerim.id, a: '400.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: key() });
      view = (await gql(TRUST, {}, aigerim.id)).data!.me.account;
      expect(view.trustPayment).toBeNull();
      expect(view.entries.edges[0].node).toEqual({ kind: 'ADJUSTMENT', amount: { amount: '-200.00' }, description: 'Погашение доверительного платежа' });
      expect(cents(await balanceOf(t, tokens[aigerim.id]!))).toBe(before + 70_000);
    });

    it('grants one of many requests at once', async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => gql(TAKE, { s: steppe.id }, steppe.id)));
      expect(answers.filter((a) => a.data?.takeTrustPayment?.status === 'OPEN')).toHaveLength(1);
      expect(answers.filter((a) => TestSystem.code(a) === 'CONFLICT')).toHaveLength(7);
      const account = await accountOf(steppe.id);
      expect(await db().manager.count(LedgerEntryEntity, { where: { accountId: account.id, kind: LedgerEntryKind.ADJUSTMENT } })).toBe(1);
    });

    it("refuses another subscriber's number", async () => {
      expect(TestSystem.code(await gql(TAKE, { s: steppe.id }, nurlan.id))).toBe('FORBIDDEN');
    });
  });

  describe('transfers between numbers', () => {
    const TRANSFER = `mutation ($from: ID!, $to: PhoneNumber!, $a: String!, $k: String!) { transferBalance(fromSubscriberId: $from, toMsisdn: $to, amount: $a, idempotencyKey: $k) { id status amount { amount } toMsisdn attemptsLeft codeExpiresAt from { id } } }`;
    const CONFIRM = `mutation ($id: ID!, $code: String!) { confirmTransfer(id: $id, code: $code) { id status completedAt failureCode attemptsLeft } }`;
    const codeFor = async (msisdn: string, amount: string, after: number) => (await t.waitForSms(msisdn, new RegExp(`^(\\d{6}) — код подтверждения перевода ${amount.replace('.', '\\.')} ₸`), 10_000, after)).match[1]!;

    it('moves the money in one step once the payer confirms with the code sent to the paying number', async () => {
      const [a0, n0] = [cents(await balanceOf(t, tokens[aigerim.id]!)), cents(await balanceOf(t, tokens[nurlan.id]!))];
      const smsBefore = (await t.sms(aigerim.msisdn!)).length;
      const started = await gql(TRANSFER, { from: aigerim.id, to: '8 707 111 22 33', a: '123.45', k: key() }, aigerim.id);
      expect(started.errors).toBeUndefined();
      expect(started.data!.transferBalance).toMatchObject({ status: 'AWAITING_CONFIRMATION', amount: { amount: '123.45' }, toMsisdn: nurlan.msisdn, attemptsLeft: 3, from: { id: aigerim.id } });
      const code = await codeFor(aigerim.msisdn!, '123.45', smsBefore);
      expect(cents(await balanceOf(t, tokens[aigerim.id]!))).toBe(a0);
      const done = await gql(CONFIRM, { id: started.data!.transferBalance.id, code }, aigerim.id);
      expect(done.data!.confirmTransfer).toMatchObject({ status: 'COMPLETED', failureCode: null, attemptsLeft: null });
      expect(cents(await balanceOf(t, tokens[aigerim.id]!))).toBe(a0 - 12_345);
      expect(cents(await balanceOf(t, tokens[nurlan.id]!))).toBe(n0 + 12_345);
      const entries = await db().manager.find(LedgerEntryEntity, { where: [{ reference: `transfer:${started.data!.transferBalance.id}:out` }, { reference: `transfer:${started.data!.transferBalance.id}:in` }] });
      expect(entries.map((e) => [e.kind, e.amountMinor]).sort()).toEqual([
        ['TRANSFER_IN', 12_345],
        ['TRANSFER_OUT', -12_345],
      ]);
      // Confirming again changes nothing.
      expect((await gql(CONFIRM, { id: started.data!.transferBalance.id, code }, aigerim.id)).data!.confirmTransfer.status).toBe('COMPLETED');
      expect(cents(await balanceOf(t, tokens[aigerim.id]!))).toBe(a0 - 12_345);
      const notice = await waitFor(async () => {
        const r = await gql(`{ me { notifications(first: 5) { edges { node { title body } } } } }`, {}, nurlan.id);
        return r.data?.me.notifications.edges.find((e: any) => e.node.title === 'Аударым түсті')?.node;
      }, 10_000, 'the payee’s notice');
      expect(notice.body).toContain('+77051234567');
    });

    it('three wrong codes void it; an expired or voided code moves nothing', async () => {
      const a0 = cents(await balanceOf(t, tokens[aigerim.id]!));
      const smsBefore = (await t.sms(aigerim.msisdn!)).length;
      const id = (await gql(TRANSFER, { from: aigerim.id, to: nurlan.msisdn, a: '111.11', k: key() }, aigerim.id)).data!.transferBalance.id;
      const code = await codeFor(aigerim.msisdn!, '111.11', smsBefore);
      const wrong = code === '000000' ? '111111' : '000000';
      const first = await gql(CONFIRM, { id, code: wrong }, aigerim.id);
      expect([TestSystem.code(first), first.errors?.[0]?.extensions?.attemptsLeft]).toEqual(['CODE_INVALID', 2]);
      expect(TestSystem.code(await gql(CONFIRM, { id, code: wrong }, aigerim.id))).toBe('CODE_INVALID');
      expect(TestSystem.code(await gql(CONFIRM, { id, code: wrong }, aigerim.id))).toBe('CODE_VOIDED');
      expect(TestSystem.code(await gql(CONFIRM, { id, code }, aigerim.id))).toBe('CODE_VOIDED');
      expect(TestSystem.code(await gql(CONFIRM, { id, code: 'abc' }, aigerim.id))).toBe('BAD_USER_INPUT');
      expect(cents(await balanceOf(t, tokens[aigerim.id]!))).toBe(a0);
      // Somebody else cannot even try.
      expect(TestSystem.code(await gql(CONFIRM, { id, code }, nurlan.id))).toBe('FORBIDDEN');
    });

    it('refuses what it cannot do: an unknown or own number, too much, too little, a home-internet payer, another’s number', async () => {
      const cases: [Record<string, unknown>, string, string, string | undefined][] = [
        [{ from: aigerim.id, to: '+77019999999', a: '100.00' }, aigerim.id, 'NOT_FOUND', 'toMsisdn'],
        [{ from: aigerim.id, to: aigerim.msisdn, a: '100.00' }, aigerim.id, 'BAD_USER_INPUT', 'toMsisdn'],
        [{ from: aigerim.id, to: nurlan.msisdn, a: '20000.01' }, aigerim.id, 'BAD_USER_INPUT', 'amount'],
        [{ from: aigerim.id, to: nurlan.msisdn, a: '49.99' }, aigerim.id, 'BAD_USER_INPUT', 'amount'],
        [{ from: nurlan.id, to: aigerim.msisdn, a: '15000.00' }, nurlan.id, 'INSUFFICIENT_FUNDS', undefined],
        [{ from: home.id, to: aigerim.msisdn, a: '100.00' }, home.id, 'BAD_USER_INPUT', 'fromSubscriberId'],
        [{ from: nurlan.id, to: aigerim.msisdn, a: '100.00' }, aigerim.id, 'FORBIDDEN', undefined],
      ];
      for (const [vars, caller, code, field] of cases) {
        const response = await gql(TRANSFER, { ...vars, k: key() }, caller);
        expect({ vars, code: TestSystem.code(response), field: response.errors?.[0]?.extensions?.field }).toEqual({ vars, code, field });
      }
      const badNumber = await gql(TRANSFER, { from: aigerim.id, to: '12345', a: '100.00', k: key() }, aigerim.id);
      expect(TestSystem.code(badNumber)).toBe('BAD_USER_INPUT');
    });

    it('the same key gives the same transfer and one SMS; other arguments are IDEMPOTENCY_CONFLICT', async () => {
      const k = key();
      const smsBefore = (await t.sms(aigerim.msisdn!)).length;
      const first = await gql(TRANSFER, { from: aigerim.id, to: nurlan.msisdn, a: '77.77', k }, aigerim.id);
      const again = await gql(TRANSFER, { from: aigerim.id, to: nurlan.msisdn, a: '77.77', k }, aigerim.id);
      expect(again.data!.transferBalance.id).toBe(first.data!.transferBalance.id);
      expect(TestSystem.code(await gql(TRANSFER, { from: aigerim.id, to: nurlan.msisdn, a: '77.78', k }, aigerim.id))).toBe('IDEMPOTENCY_CONFLICT');
      await codeFor(aigerim.msisdn!, '77.77', smsBefore);
      const codes = (await t.sms(aigerim.msisdn!)).slice(smsBefore).filter((m) => m.text.includes('77.77'));
      expect(codes).toHaveLength(1);
    });

    it('stays exact under concurrency: confirmations worth more than the balance never take it below zero', async () => {
      // steppe pays 10 transfers of 100.00 to aigerim with 1000.00 less 0.01 of its own on the account (its open trust
      // payment is not its own to give): exactly 9 go through.
      const account = await accountOf(steppe.id);
      const trust = await db().manager.findOneBy(TrustPaymentEntity, { openAccountId: account.id });
      const target = 99_999 + (trust?.outstandingMinor ?? 0);
      const runtime = t.system.subgraphs.billing.runtime;
      const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
      await runtime.database.transaction(async (manager) => {
        const fresh = await manager.findOneByOrFail(AccountEntity, { id: account.id });
        await ledger.post(manager, account.id, { kind: LedgerEntryKind.ADJUSTMENT, amountMinor: target - fresh.balanceMinor, description: { KK: 'Түзету', RU: 'Корректировка', EN: 'Adjustment' }, reference: `test:${randomUUID()}` });
      });
      const a0 = cents(await balanceOf(t, tokens[aigerim.id]!));
      const started: { id: string; code: string }[] = [];
      for (let i = 0; i < 10; i += 1) {
        const smsBefore = (await t.sms(steppe.msisdn!)).length;
        const response = await gql(TRANSFER, { from: steppe.id, to: aigerim.msisdn, a: '100.00', k: key() }, steppe.id);
        expect(response.errors).toBeUndefined();
        const code = (await t.waitForSms(steppe.msisdn!, /^(\d{6}) is the code to confirm a transfer of 100\.00 KZT/, 10_000, smsBefore)).match[1]!;
        started.push({ id: response.data!.transferBalance.id, code });
      }
      const answers = await Promise.all(started.map((s) => gql(CONFIRM, { id: s.id, code: s.code }, steppe.id)));
      const completed = answers.filter((a) => a.data?.confirmTransfer?.status === 'COMPLETED').length;
      expect(completed).toBe(9);
      expect(answers.filter((a) => TestSystem.code(a) === 'INSUFFICIENT_FUNDS')).toHaveLength(1);
      const after = await accountOf(steppe.id);
      expect(after.balanceMinor).toBe(target - 9 * 10_000);
      expect(cents(await balanceOf(t, tokens[aigerim.id]!))).toBe(a0 + 9 * 10_000);
      // Ten confirmations of one transfer at once: it moves once.
      const smsBefore = (await t.sms(aigerim.msisdn!)).length;
      const one = (await gql(TRANSFER, { from: aigerim.id, to: steppe.msisdn, a: '55.55', k: key() }, aigerim.id)).data!.transferBalance.id;
      const code = await codeFor(aigerim.msisdn!, '55.55', smsBefore);
      const all = await Promise.all(Array.from({ length: 10 }, () => gql(CONFIRM, { id: one, code }, aigerim.id)));
      expect(all.map((a) => a.data?.confirmTransfer?.status ?? JSON.stringify(a.errors))).toEqual(all.map(() => "COMPLETED"));
      expect(await db().manager.count(LedgerEntryEntity, { where: { reference: `transfer:${one}:out` } })).toBe(1);
      expect((await accountOf(steppe.id)).balanceMinor).toBe(target - 9 * 10_000 + 5_555);
    });
  });
});
