import { randomInt, randomUUID } from 'node:crypto';
import { AccountEntity, LedgerEntryEntity, PaymentEntity } from '@selfcare/billing';
import { demo, suiteFixture, usingMariaDb, waitFor } from '@selfcare/shared/testing';
import { In } from 'typeorm';
import { TestSystem } from '../support/system';
import { TEST_CARDS, cardToken, pay } from '../support/payments';

/**
 * Many payments on one account at once, each sent twice at the same moment (a client retrying), through the gateway
 * with the sandbox provider: every payment is charged and credited exactly once, and the balance is exact. 1,000 on
 * MariaDB (row locks, a connection pool); 300 on SQLite (one writer), where the count changes nothing of the logic.
 */
const { aigerim } = demo;
const PAYMENTS = usingMariaDb() ? 1000 : 300;

describe(`${PAYMENTS} concurrent retried payments on one account`, () => {
  const t = suiteFixture(() =>
    TestSystem.start({
      timeouts: { operationTimeoutMs: 60_000, subgraphTimeoutMs: 60_000 },
      payments: { reconcileIntervalMs: 200, reconcileMaxBackoffMs: 1000, provider: { timeoutMs: 10_000, retries: 2 } },
    }),
  );

  it('charges and credits each exactly once, and the balance is exact', async () => {
    const { accessToken } = await t.login(aigerim.login, 'Demo-2026');
    const db = t.system.subgraphs.billing.runtime.database;
    const account = await db.manager.findOneByOrFail(AccountEntity, { subscriberId: aigerim.id });
    const payments = await Promise.all(
      Array.from({ length: PAYMENTS }, async () => ({
        key: randomUUID(),
        minor: randomInt(10_000, 100_000),
        token: await cardToken(t.url, TEST_CARDS.succeeds),
      })),
    );
    const expected = payments.reduce((sum, p) => sum + p.minor, 0);

    /** One client's attempt; an answer that is not a payment (the service busy) is sent again with the same key. */
    const attempt = async (p: (typeof payments)[number]): Promise<string> => {
      for (let tries = 0; ; tries += 1) {
        const amount = `${Math.trunc(p.minor / 100)}.${String(p.minor % 100).padStart(2, '0')}`;
        const answer = await pay(t, accessToken, { s: aigerim.id, a: amount, t: p.token, k: p.key }).catch(() => null);
        const payment = answer?.data?.payByCard;
        if (payment) return payment.id;
        if (tries > 20) throw new Error(`no payment for ${p.key}: ${JSON.stringify(answer?.errors)}`);
        // As a client does: wait a little longer each time before sending the same request again (a client's back-off, not a wait for an outcome).
        // eslint-disable-next-line selfcare/test-waits
        await new Promise((resolve) => setTimeout(resolve, 200 * (tries + 1)));
      }
    };
    const answers = await Promise.all(payments.flatMap((p) => [attempt(p), attempt(p)]));
    // Both sends of one payment got the same payment.
    for (let i = 0; i < PAYMENTS; i += 1) expect(answers[2 * i]).toBe(answers[2 * i + 1]);
    const ids = [...new Set(answers)];
    expect(ids).toHaveLength(PAYMENTS);

    // Outcomes not heard in time are found by the reconciliation.
    await waitFor(async () => (await db.manager.count(PaymentEntity, { where: { id: In(ids), status: 'SUCCEEDED' as never } })) === PAYMENTS || undefined, 120_000, 'every payment to succeed');
    const entries = await db.manager.find(LedgerEntryEntity, { where: { accountId: account.id, reference: In(ids.map((id) => `payment:${id}`)) } });
    expect(entries).toHaveLength(PAYMENTS);
    expect(new Set(entries.map((e) => e.reference)).size).toBe(PAYMENTS);
    expect(entries.reduce((sum, e) => sum + e.amountMinor, 0)).toBe(expected);
    const after = await db.manager.findOneByOrFail(AccountEntity, { id: account.id });
    expect(after.balanceMinor).toBe(account.balanceMinor + expected);
    // One charge per payment at the provider.
    const charges = t.system.cardProvider!.charges().filter((c) => ids.includes(c.reference));
    expect(charges).toHaveLength(PAYMENTS);
    // The ledger's invariants hold: seq 1, 2, 3…, each balanceAfter the running sum.
    const all = await db.manager.find(LedgerEntryEntity, { where: { accountId: account.id }, order: { seq: 'ASC' } });
    let running = 0;
    all.forEach((entry, i) => {
      running += entry.amountMinor;
      expect([entry.seq, entry.balanceAfterMinor]).toEqual([i + 1, running]);
    });
    expect(running).toBe(after.balanceMinor);
  }, 900_000);
});
