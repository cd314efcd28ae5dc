import { randomUUID } from 'node:crypto';
import { suiteFixture } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';
import { changeTariff, expectLedgerConsistent, finalOrder, ledgerOf, loginDemo, topUp } from '../support/orders';

/**
 * 200 tariff changes on one line — one account — sent at once, each twice more as a client retrying would: one order
 * per key, every order charged at most once and refunded only when it FAILED, and the balance exactly the switch fees
 * of the changes made. The catalog's re-check under the line's lock and billing's references make it so; MariaDB (with
 * TEST_DATABASE_URL) has real row locks and concurrent transactions, SQLite a serialized writer.
 */
describe('200 concurrent orders and retries on one account', () => {
  const t = suiteFixture(() => TestSystem.start());

  it('end with the exact balance and no duplicate entry', async () => {
    const nurlan = await loginDemo(t, 'nurlan'); // BEELINE_L, switch fees of S and M: 500.00
    await topUp(t, nurlan.subscriberId, 200 * 50_000);
    const before = await ledgerOf(t, nurlan.subscriberId);
    const keys: string[] = Array.from({ length: 200 }, () => randomUUID());
    const targets = keys.map((_, i) => (i % 2 === 0 ? 'BEELINE_S' : 'BEELINE_M'));
    // A client resends with its key what got no answer in time (the gateway never resends a mutation itself).
    const send = async (i: number) => {
      for (let attempt = 0; ; attempt += 1) {
        const answer = await changeTariff(t, nurlan.accessToken, nurlan.subscriberId, targets[i]!, '2025-11-01', keys[i]!);
        if (TestSystem.code(answer) !== 'SERVICE_UNAVAILABLE' || attempt === 5) return answer;
      }
    };
    const sends = keys.flatMap((_, i) => [0, 1, 2].map(() => () => send(i)));
    // All at once, in a shuffled order: retries race their first attempts.
    sends.sort(() => Math.random() - 0.5);
    const answers = await Promise.all(sends.map((run) => run()));
    for (const answer of answers) {
      const code = TestSystem.code(answer);
      // A refusal here can only be the line being on that tariff already when the order was checked.
      if (code) expect(answer.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'SAME_TARIFF' });
    }

    const catalog = t.system.subgraphs.catalog.runtime.database.manager;
    const orders: { id: string; idempotency_key: string; status: string }[] = await catalog.query('SELECT id, idempotency_key, status FROM product_orders WHERE subscriber_id = ? AND kind = ?', [nurlan.subscriberId, 'CHANGE_TARIFF']);
    const ours = orders.filter((o) => keys.includes(o.idempotency_key));
    expect(ours).toHaveLength(200);
    // Orders left IN_PROGRESS by a retry's answer finish on their own.
    const final = await Promise.all(ours.map((o) => finalOrder(t, nurlan.accessToken, o.id, 60_000)));
    const completed = final.filter((o) => o.status === 'COMPLETED');
    const failed = final.filter((o) => o.status === 'FAILED');
    const rejected = final.filter((o) => o.status === 'REJECTED');
    expect(completed.length + failed.length + rejected.length).toBe(200);
    expect(completed.length).toBeGreaterThan(0);

    const after = await ledgerOf(t, nurlan.subscriberId);
    expectLedgerConsistent(after);
    const ofOrder = (id: string, what: 'charge' | 'refund') => after.entries.filter((e) => e.reference === `order:${id}:${what}`);
    for (const order of completed) expect([ofOrder(order.id, 'charge').length, ofOrder(order.id, 'refund').length]).toEqual([1, 0]);
    for (const order of failed) expect([ofOrder(order.id, 'charge').length, ofOrder(order.id, 'refund').length, order.failureCode]).toEqual([1, 1, 'CONFLICT']);
    for (const order of rejected) expect([ofOrder(order.id, 'charge').length, order.failureCode]).toEqual([0, 'CONFLICT']);
    expect(after.account.balanceMinor).toBe(before.account.balanceMinor - 50_000 * completed.length);
    // One tariff period per change made, on top of the first.
    const periods = await catalog.query('SELECT COUNT(*) AS n FROM tariff_periods WHERE subscriber_id = ?', [nurlan.subscriberId]);
    const earlier = await catalog.query("SELECT COUNT(*) AS n FROM product_orders WHERE subscriber_id = ? AND kind = 'CHANGE_TARIFF' AND status = 'COMPLETED'", [nurlan.subscriberId]);
    expect(Number(periods[0].n)).toBe(1 + Number(earlier[0].n));
  }, 240_000);
});
