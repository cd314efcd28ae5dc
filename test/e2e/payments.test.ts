import { randomUUID } from 'node:crypto';
import { LedgerEntryEntity, PaymentEntity } from '@selfcare/billing';
import { demo, suiteFixture, waitFor } from '@selfcare/shared/testing';
import { signWebhook } from '@selfcare/gateway';
import { grantManagement } from '../../subgraphs/delegation/test/support/grants';
import { TestSystem } from '../support/system';
import { TEST_CARDS, answer3ds, balanceOf, card, cardToken, pay, paymentById } from '../support/payments';

/**
 * terms 2.1, paying by bank card, through the gateway with the sandbox provider over HTTP: every test card, 3-D Secure
 * approved and refused, a decline, idempotency (the same key, other arguments, concurrent duplicates), webhook replays
 * and forgeries, and outcomes nobody heard (timeout, 500) found by the reconciliation job.
 */
const { aigerim, nurlan, unregistered } = demo;

describe('payByCard through the gateway with the sandbox provider', () => {
  const t = suiteFixture(() =>
    TestSystem.start({
      // A short reconciliation round and provider timeout, so outcomes nobody heard are found within the test.
      payments: { reconcileIntervalMs: 100, reconcileMaxBackoffMs: 400, provider: { timeoutMs: 5000, retries: 1 } },
      cardProvider: { sandbox: { timeoutHoldMs: 30_000, webhookRetryMs: [100, 200, 400, 800] } },
    }),
  );
  let token = '';
  let nurlanToken = '';

  beforeAll(async () => {
    token = (await t.login(aigerim.login, 'Demo-2026')).accessToken;
    nurlanToken = (await t.login(nurlan.login, 'Demo-2026')).accessToken;
  });

  const key = () => randomUUID();
  const billingDb = () => t.system.subgraphs.billing.runtime.database;
  const entriesFor = (paymentId: string) => billingDb().manager.find(LedgerEntryEntity, { where: { reference: `payment:${paymentId}` } });
  const provider = () => t.system.cardProvider!;
  const settled = (id: string, accessToken = token) =>
    waitFor(async () => {
      const payment = await paymentById(t, accessToken, id);
      return payment && (payment.status === 'SUCCEEDED' || payment.status === 'FAILED') ? payment : undefined;
    }, 15_000, `payment ${id} to settle`);
  const cents = (amount: string) => Math.round(Number(amount) * 100);

  describe('the provider (the card number never reaches the API)', () => {
    it('checks Luhn, expiry and the CVC when it makes a token, and says which is wrong without echoing the number', async () => {
      const post = (body: unknown) => fetch(`${t.url}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const cases: [Record<string, unknown>, string][] = [
        [card('4242424242424241'), 'invalid_number'],
        [card('42424242'), 'invalid_number'],
        [card(TEST_CARDS.succeeds, { expMonth: 13 }), 'invalid_expiry_month'],
        [card(TEST_CARDS.succeeds, { expMonth: 1, expYear: 2020 }), 'expired_card'],
        [card(TEST_CARDS.succeeds, { cvc: '12' }), 'invalid_cvc'],
      ];
      for (const [body, code] of cases) {
        const response = await post(body);
        const text = await response.text();
        expect({ status: response.status, code: JSON.parse(text).error.code }).toEqual({ status: 400, code });
        expect(text).not.toContain(String(body.number));
      }
      const ok = await post(card(TEST_CARDS.succeeds));
      expect(await ok.json()).toEqual({ id: expect.stringMatching(/^tok_/), object: 'token', card: { brand: 'VISA', last4: '4242', expMonth: 12, expYear: expect.any(Number) } });
    });

    it('refuses a card number given as cardToken, without echoing it', async () => {
      const response = await pay(t, token, { s: aigerim.id, a: '500.00', t: TEST_CARDS.succeeds, k: key() });
      expect(TestSystem.code(response)).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions!.field).toBe('cardToken');
      expect(JSON.stringify(response)).not.toContain(TEST_CARDS.succeeds);
    });
  });

  describe('test cards', () => {
    it('4242 4242 4242 4242 succeeds: credited once, balanceChanged fires, a receipt (cabinet and SMS, per notifyBy) and an activity entry', async () => {
      expect((await t.graphql(`mutation { setNotifyBy(channels: [CABINET, SMS]) }`, {}, { token })).errors).toBeUndefined();
      const smsBefore = (await t.sms(aigerim.msisdn!)).length;
      const before = cents(await balanceOf(t, token));
      // Subscribed after the newest entry: nothing posted from here on can fall in between.
      const newest = await t.graphql<{ me: any }>('{ me { account { entries(first: 1) { edges { cursor } } } } }', {}, { token });
      const after = newest.data!.me.account.entries.edges[0].cursor as string;
      const client = t.wsClient(token);
      const changes: { delta: { amount: string }; entry: { kind: string } }[] = [];
      const done = new Promise<void>((resolve, reject) => {
        client.subscribe<{ balanceChanged: (typeof changes)[number] }>(
          { query: `subscription ($id: ID!, $after: String) { balanceChanged(subscriberId: $id, after: $after) { delta { amount } entry { kind } } }`, variables: { id: aigerim.id, after } },
          {
            next: (message) => {
              if (message.data) changes.push(message.data.balanceChanged);
              if (changes.length === 1) resolve();
            },
            error: reject,
            complete: () => undefined,
          },
        );
      });
      try {
        const response = await pay(t, token, { s: aigerim.id, a: '1500.50', t: await cardToken(t.url, TEST_CARDS.succeeds), k: key() });
        expect(response.errors).toBeUndefined();
        const payment = response.data!.payByCard;
        expect(payment).toMatchObject({ status: 'SUCCEEDED', amount: { amount: '1500.50', currency: 'KZT' }, failureCode: null, actionUrl: null, autopay: false, card: null });
        expect(cents(await balanceOf(t, token))).toBe(before + 150_050);
        const entries = await entriesFor(payment.id);
        expect(entries.map((e) => [e.kind, e.amountMinor, e.description.RU])).toEqual([['PAYMENT', 150_050, 'Оплата картой VISA •4242']]);
        await done;
        expect(changes[0]).toEqual({ delta: { amount: '1500.50' }, entry: { kind: 'PAYMENT' } });
      } finally {
        await client.dispose();
      }
      const me = await waitFor(async () => {
        const r = await t.graphql<{ me: any }>(
          `{ me { notifications(first: 5) { edges { node { title body } } } activity(first: 5) { edges { node { action viaManagement channel details actor { id } } } } } }`,
          {},
          { token },
        );
        const me = r.data?.me;
        return me?.notifications.edges.some((e: any) => e.node.title === 'Платёж зачислен') && me.activity.edges.some((e: any) => e.node.action === 'CARD_PAYMENT') ? me : undefined;
      }, 10_000, 'the receipt and the activity entry');
      expect(me.notifications.edges.find((e: any) => e.node.title === 'Платёж зачислен').node.body).toMatch(/^На счёт KZ-100000001 зачислено 1500\.50 ₸ \(VISA •4242\)\. Баланс: [\d.]+ ₸\.$/);
      expect(me.activity.edges.find((e: any) => e.node.action === 'CARD_PAYMENT').node).toMatchObject({ viaManagement: false, channel: 'WEB', actor: { id: aigerim.id } });
      const sms = await t.waitForSms(aigerim.msisdn!, /^Платёж зачислен: На счёт KZ-100000001 зачислено 1500\.50 ₸/, 10_000, smsBefore);
      expect(sms.text).toContain('(VISA •4242)');
      expect((await t.graphql(`mutation { setNotifyBy(channels: [CABINET]) }`, {}, { token })).errors).toBeUndefined();
    });

    it('4000 0000 0000 0002 is declined: FAILED with PAYMENT_DECLINED, nothing credited', async () => {
      const before = await balanceOf(t, token);
      const response = await pay(t, token, { s: aigerim.id, a: '700.00', t: await cardToken(t.url, TEST_CARDS.declined), k: key() });
      expect(response.errors).toBeUndefined();
      expect(response.data!.payByCard).toMatchObject({ status: 'FAILED', failureCode: 'PAYMENT_DECLINED' });
      expect(await balanceOf(t, token)).toBe(before);
      expect(await entriesFor(response.data!.payByCard.id)).toEqual([]);
    });

    it('4000 0000 0000 3220 needs 3-D Secure: REQUIRES_ACTION, approved on the actionUrl page, then credited once', async () => {
      const before = cents(await balanceOf(t, token));
      const response = await pay(t, token, { s: aigerim.id, a: '300.00', t: await cardToken(t.url, TEST_CARDS.threeDSecure), k: key() });
      const payment = response.data!.payByCard;
      expect(payment).toMatchObject({ status: 'REQUIRES_ACTION', actionUrl: expect.stringMatching(new RegExp(`^${t.url}/v1/3ds/ch_`)) });
      expect(cents(await balanceOf(t, token))).toBe(before);
      expect(await answer3ds(payment.actionUrl!, 'approve')).toContain('succeeded');
      expect(await settled(payment.id)).toMatchObject({ status: 'SUCCEEDED', actionUrl: null });
      expect(cents(await balanceOf(t, token))).toBe(before + 30_000);
      expect(await entriesFor(payment.id)).toHaveLength(1);
    });

    it('3-D Secure refused by the holder: FAILED with PAYMENT_DECLINED', async () => {
      const before = await balanceOf(t, token);
      const payment = (await pay(t, token, { s: aigerim.id, a: '300.00', t: await cardToken(t.url, TEST_CARDS.threeDSecure), k: key() })).data!.payByCard;
      expect(payment.status).toBe('REQUIRES_ACTION');
      await answer3ds(payment.actionUrl!, 'refuse');
      expect(await settled(payment.id)).toMatchObject({ status: 'FAILED', failureCode: 'PAYMENT_DECLINED' });
      expect(await balanceOf(t, token)).toBe(before);
    });

    it('the timeout card: PENDING once the answer is late, found by reconciliation and credited exactly once (the late webhook changes nothing)', async () => {
      provider().pauseWebhooks();
      try {
        const before = cents(await balanceOf(t, token));
        const response = await pay(t, token, { s: aigerim.id, a: '250.00', t: await cardToken(t.url, TEST_CARDS.timesOut), k: key() });
        const payment = response.data!.payByCard;
        expect(payment.status).toBe('PENDING');
        expect(await settled(payment.id)).toMatchObject({ status: 'SUCCEEDED' });
        expect(cents(await balanceOf(t, token))).toBe(before + 25_000);
        provider().resumeWebhooks();
        await waitFor(() => provider().webhookDeliveries().filter((d) => d.chargeId === provider().charges({ reference: payment.id })[0]!.id).every((d) => d.deliveredAt), 10_000, 'the late webhook');
        expect(await entriesFor(payment.id)).toHaveLength(1);
        expect(cents(await balanceOf(t, token))).toBe(before + 25_000);
      } finally {
        provider().resumeWebhooks();
      }
    });

    it('the card whose charge answers 500: PENDING, then reconciled from the provider and credited exactly once', async () => {
      provider().pauseWebhooks();
      try {
        const before = cents(await balanceOf(t, token));
        const payment = (await pay(t, token, { s: aigerim.id, a: '125.00', t: await cardToken(t.url, TEST_CARDS.answers500), k: key() })).data!.payByCard;
        expect(payment.status).toBe('PENDING');
        expect(await settled(payment.id)).toMatchObject({ status: 'SUCCEEDED' });
        expect(provider().charges({ reference: payment.id })).toHaveLength(1);
        expect(await entriesFor(payment.id)).toHaveLength(1);
        expect(cents(await balanceOf(t, token))).toBe(before + 12_500);
      } finally {
        provider().resumeWebhooks();
      }
    });
  });

  describe('idempotency (Stripe rules)', () => {
    it('the same key and arguments give the same payment and one charge; other arguments are IDEMPOTENCY_CONFLICT', async () => {
      const k = key();
      const cardTokenId = await cardToken(t.url, TEST_CARDS.succeeds);
      const first = await pay(t, token, { s: aigerim.id, a: '200', t: cardTokenId, k });
      const again = await pay(t, token, { s: aigerim.id, a: '200.00', t: cardTokenId, k });
      expect(again.data!.payByCard).toEqual(first.data!.payByCard);
      expect(provider().charges({ reference: first.data!.payByCard.id })).toHaveLength(1);
      for (const other of [{ a: '201.00' }, { t: await cardToken(t.url, TEST_CARDS.succeeds) }, { save: true }]) {
        const conflict = await pay(t, token, { s: aigerim.id, a: '200.00', t: cardTokenId, k, ...other });
        expect(TestSystem.code(conflict)).toBe('IDEMPOTENCY_CONFLICT');
      }
      expect(await entriesFor(first.data!.payByCard.id)).toHaveLength(1);
    });

    it('keys are the payer’s own: another subscriber’s same key is another payment', async () => {
      const k = key();
      const mine = await pay(t, token, { s: aigerim.id, a: '150.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k });
      const theirs = await pay(t, nurlanToken, { s: nurlan.id, a: '150.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k });
      expect(theirs.errors).toBeUndefined();
      expect(theirs.data!.payByCard.id).not.toBe(mine.data!.payByCard.id);
    });

    it('concurrent duplicates make one payment and one charge', async () => {
      const k = key();
      const cardTokenId = await cardToken(t.url, TEST_CARDS.succeeds);
      const before = cents(await balanceOf(t, token));
      // Each client sends again what was not answered in the gateway's time (SERVICE_UNAVAILABLE), as clients do.
      const send = async () => {
        for (let tries = 0; ; tries += 1) {
          const answer = await pay(t, token, { s: aigerim.id, a: '333.33', t: cardTokenId, k });
          if (TestSystem.code(answer) !== 'SERVICE_UNAVAILABLE' || tries === 3) return answer;
        }
      };
      const answers = await Promise.all(Array.from({ length: 12 }, send));
      const ids = new Set(answers.map((a) => a.data?.payByCard.id));
      expect(answers.map((a) => a.errors)).toEqual(answers.map(() => undefined));
      expect(ids.size).toBe(1);
      const [id] = [...ids] as string[];
      // A duplicate answers once the first one's outcome is in, or with the payment as it stands after a few seconds.
      expect(answers.every((a) => ['SUCCEEDED', 'PENDING'].includes(a.data!.payByCard.status))).toBe(true);
      expect(await settled(id)).toMatchObject({ status: 'SUCCEEDED' });
      expect(provider().charges({ reference: id })).toHaveLength(1);
      expect(await entriesFor(id)).toHaveLength(1);
      expect(cents(await balanceOf(t, token))).toBe(before + 33_333);
    });
  });

  describe('bad input', () => {
    it('answers a bad amount with BAD_USER_INPUT on amount, in the caller’s language, and stores nothing', async () => {
      const count = () => billingDb().manager.count(PaymentEntity);
      const before = await count();
      const cardTokenId = await cardToken(t.url, TEST_CARDS.succeeds);
      for (const amount of ['0', '0.00', '-100', '100.001', '1e3', ' 100', '100 ', '100.', '.5', '+100', '1,00', 'abc', '', '99.99', '200000.01', '99999999999999999999', '１００']) {
        const response = await pay(t, token, { s: aigerim.id, a: amount, t: cardTokenId, k: key() });
        expect({ amount, code: TestSystem.code(response), field: response.errors?.[0]?.extensions?.field }).toEqual({ amount, code: 'BAD_USER_INPUT', field: 'amount' });
      }
      const english = await t.graphql(
        `mutation ($s: ID!, $t: String!) { payByCard(subscriberId: $s, amount: "5", cardToken: $t, idempotencyKey: "k-en") { id } }`,
        { s: aigerim.id, t: cardTokenId },
        { token, language: 'en' },
      );
      expect(english.errors![0]!.message).toBe('The amount must be a positive number from 100.00 to 200000.00 KZT with at most two digits after the point');
      expect(await count()).toBe(before);
    });

    it('needs exactly one of cardToken and savedCardId, and a sane key', async () => {
      const cardTokenId = await cardToken(t.url, TEST_CARDS.succeeds);
      const neither = await pay(t, token, { s: aigerim.id, a: '100.00', k: key() });
      expect([TestSystem.code(neither), neither.errors?.[0]?.extensions?.field]).toEqual(['BAD_USER_INPUT', 'cardToken']);
      const both = await pay(t, token, { s: aigerim.id, a: '100.00', t: cardTokenId, c: randomUUID(), k: key() });
      expect([TestSystem.code(both), both.errors?.[0]?.extensions?.field]).toEqual(['BAD_USER_INPUT', 'savedCardId']);
      for (const k of ['', 'has space', 'x'.repeat(65), 'ключ']) {
        const response = await pay(t, token, { s: aigerim.id, a: '100.00', t: cardTokenId, k });
        expect([TestSystem.code(response), response.errors?.[0]?.extensions?.field]).toEqual(['BAD_USER_INPUT', 'idempotencyKey']);
      }
    });

    it('fails a payment whose token the provider does not know or already used, and charges nothing', async () => {
      const unknown = await pay(t, token, { s: aigerim.id, a: '100.00', t: 'tok_000000000000000000000000', k: key() });
      expect(unknown.data!.payByCard).toMatchObject({ status: 'FAILED', failureCode: 'BAD_USER_INPUT' });
      const used = await cardToken(t.url, TEST_CARDS.succeeds);
      expect((await pay(t, token, { s: aigerim.id, a: '100.00', t: used, k: key() })).data!.payByCard.status).toBe('SUCCEEDED');
      const again = await pay(t, token, { s: aigerim.id, a: '100.00', t: used, k: key() });
      expect(again.data!.payByCard).toMatchObject({ status: 'FAILED', failureCode: 'BAD_USER_INPUT' });
      expect(provider().charges({ reference: again.data!.payByCard.id })).toEqual([]);
    });
  });

  describe('whose number (terms 2.5, 4.3)', () => {
    it("refuses another subscriber's number and payment, and lets a manager top up the managed number (on record as via management)", async () => {
      const foreign = await pay(t, token, { s: nurlan.id, a: '100.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: key() });
      expect(TestSystem.code(foreign)).toBe('FORBIDDEN');
      const nurlans = (await pay(t, nurlanToken, { s: nurlan.id, a: '100.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: key() })).data!.payByCard;
      const peek = await t.graphql(`query ($id: ID!) { payment(id: $id) { id } }`, { id: nurlans.id }, { token });
      expect(TestSystem.code(peek)).toBe('FORBIDDEN');
      expect(await paymentById(t, token, randomUUID())).toBeNull();

      await grantManagement(t.system.subgraphs.delegation, aigerim.id, unregistered.id, unregistered.msisdn!);
      const managed = await pay(t, token, { s: unregistered.id, a: '400.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: key() });
      expect(managed.data!.payByCard.status).toBe('SUCCEEDED');
      const read = await t.graphql<{ subscriber: any }>(
        `query ($m: PhoneNumber!) { subscriber(msisdn: $m) { account { payments(first: 1) { edges { node { id subscriber { id } } } } } activity(first: 5) { edges { node { action viaManagement actor { id } } } } } }`,
        { m: unregistered.msisdn },
        { token },
      );
      expect(read.data!.subscriber.account.payments.edges[0].node).toEqual({ id: managed.data!.payByCard.id, subscriber: { id: unregistered.id } });
      const activity = await waitFor(async () => {
        const r = await t.graphql<{ subscriber: any }>(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { activity(first: 5) { edges { node { action viaManagement actor { id } } } } } }`, { m: unregistered.msisdn }, { token });
        return r.data?.subscriber?.activity.edges.find((e: any) => e.node.action === 'CARD_PAYMENT')?.node;
      }, 10_000, 'the activity entry of the managed number');
      expect(activity).toEqual({ action: 'CARD_PAYMENT', viaManagement: true, actor: { id: aigerim.id } });
    });
  });

  describe('webhooks', () => {
    it('a replayed webhook changes nothing; a forged or stale signature is refused with 400 and applies nothing', async () => {
      const payment = (await pay(t, token, { s: aigerim.id, a: '180.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: key() })).data!.payByCard;
      const chargeId = provider().charges({ reference: payment.id })[0]!.id;
      const delivery = await waitFor(() => provider().webhookDeliveries().find((d) => d.chargeId === chargeId && d.deliveredAt), 10_000, 'the webhook');
      const post = (body: string, signature: string) =>
        fetch(`${t.url}/payments/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': signature }, body });
      const before = await balanceOf(t, token);

      const replay = await post(delivery.body, delivery.signature);
      expect(replay.status).toBe(200);
      expect(['duplicate', 'settled']).toContain(((await replay.json()) as { outcome: string }).outcome);

      // A new event id for the same charge, correctly signed: applied (again), and it still credits nothing twice.
      const fresh = delivery.body.replace(delivery.eventId, `evt_${randomUUID().replace(/-/g, '')}`);
      const now = Math.floor(Date.now() / 1000);
      const secret = t.system.payments.provider.secret;
      expect((await post(fresh, signWebhook(fresh, secret, now))).status).toBe(200);
      expect(await entriesFor(payment.id)).toHaveLength(1);

      // Forged: a payment waiting for 3-D Secure "succeeded" with a wrong secret, a tampered body, no signature, an old timestamp.
      {
        const pending = (await pay(t, token, { s: aigerim.id, a: '190.00', t: await cardToken(t.url, TEST_CARDS.threeDSecure), k: key() })).data!.payByCard;
        expect(pending.status).toBe('REQUIRES_ACTION');
        const charge = provider().charges({ reference: pending.id })[0]!;
        const forged = JSON.stringify({ id: `evt_${randomUUID().replace(/-/g, '')}`, type: 'charge.succeeded', data: { object: { ...charge, amount: 19_000_000 } } });
        for (const [body, signature] of [
          [forged, signWebhook(forged, 'not-the-secret-at-all', now)],
          [forged, signWebhook(delivery.body, secret, now)],
          [forged, ''],
          [forged, `t=${now},v1=${'0'.repeat(64)}`],
          [forged, signWebhook(forged, secret, now - 3600)],
        ] as const) {
          const response = await post(body, signature);
          expect(response.status).toBe(400);
        }
        expect((await paymentById(t, token, pending.id))!.status).toBe('REQUIRES_ACTION');
        expect(await entriesFor(pending.id)).toEqual([]);
        // A correctly signed event whose charge does not match its payment (the amount) credits nothing.
        expect((await post(forged, signWebhook(forged, secret, now))).status).toBe(200);
        expect((await paymentById(t, token, pending.id))!.status).toBe('REQUIRES_ACTION');
        expect(await entriesFor(pending.id)).toEqual([]);
        await answer3ds(pending.actionUrl!, 'approve');
        expect(await settled(pending.id)).toMatchObject({ status: 'SUCCEEDED', amount: { amount: '190.00' } });
      }
      expect(cents(await balanceOf(t, token))).toBe(cents(before) + 19_000);
    });
  });
});
