import { dailyShare, operatorDay } from '@selfcare/shared';
import { SteerableClock, eventually, internalRequest, suiteFixture } from '@selfcare/shared/testing';
import { DEMO_PASSWORD } from '@selfcare/shared';
import { TestSystem } from '../support/system';
import { changeTariff, demoLine, expectLedgerConsistent, ledgerOf, loginDemo, staffToken, topUp } from '../support/orders';

/**
 * Periodic fees and debt through the gateway (terms 3.3): the fee run charges a day's fees once the day has ended; a
 * balance taken below minus the credit limit suspends the number (identity, on billing's DebtIncurred); a payment, or
 * a credit limit staff raise, settles it and access comes back. Real time with an offset the test moves.
 */
describe('fees and debt through the gateway', () => {
  const clock = new SteerableClock();
  const t = suiteFixture(() => TestSystem.start({ clock }));
  const runFees = async () => {
    const response = await internalRequest(t.system.subgraphs.billing.url, '/internal/fees/run', t.system.platform.internalToken, { body: {} });
    expect(response.status).toBe(200);
    return ((await response.json()) as { days: { day: string; lines: number; charged: number }[] }).days;
  };
  const login = (name: 'nurlan' | 'aigerim') => t.graphql<any>(`mutation ($l: String!, $p: String!) { login(login: $l, password: $p, channel: WEB) { accessToken } }`, { l: demoLine(name).login, p: DEMO_PASSWORD });

  it('charges the day that ended — once — pushes it to balanceChanged, and a fee that takes the balance into debt suspends access until a payment settles it', async () => {
    const nurlan = await loginDemo(t, 'nurlan'); // 150.00 KZT on BEELINE_L (7 990.00 a month) with CALLER_ID
    const aigerim = await loginDemo(t, 'aigerim'); // 2 500.00 KZT: stays out of debt
    const day = operatorDay(clock.now());
    expect(await runFees()).toEqual([]); // the day billing started on has not ended

    // Subscribed after the newest entry: the fee's posting is the next event, whenever the subscription is set up.
    const head = await t.graphql<any>(`{ me { account { entries(first: 1) { edges { cursor } } } } }`, {}, { token: aigerim.accessToken });
    const ws = t.wsClient(aigerim.accessToken);
    const events = ws.iterate<any>({
      query: `subscription ($id: ID!, $after: String) { balanceChanged(subscriberId: $id, after: $after) { delta { amount } entry { kind description } balance { amount } } }`,
      variables: { id: aigerim.subscriberId, after: head.data.me.account.entries.edges[0].cursor },
    });
    const first = events.next();

    clock.advance(24 * 3600_000);
    const days = await runFees();
    expect(days.map((d) => d.day)).toEqual([day]);
    expect(await runFees()).toEqual([]); // again: nothing more

    const expected = dailyShare(799_000, day) + dailyShare(15_000, day);
    const ledger = await ledgerOf(t, nurlan.subscriberId);
    expectLedgerConsistent(ledger);
    expect(ledger.entries.filter((e) => e.reference?.startsWith(`fee:${day}:`)).reduce((sum, e) => sum - e.amountMinor, 0)).toBe(expected);
    expect(ledger.account.balanceMinor).toBe(15_000 - expected);
    const pushed = (await first).value.data?.balanceChanged;
    expect(pushed.entry.kind).toBe('CHARGE');
    expect(pushed.entry.description).toMatch(/^Абонентская плата за \d\d\.\d\d\.\d{4}: /);
    await ws.dispose();

    // terms 3.3: the debt suspends the number: its token is cut off, login refused, until it is paid.
    await eventually(() => t.graphql(`{ me { id } }`, {}, { token: nurlan.accessToken }), (r) => TestSystem.code(r) === 'ACCESS_SUSPENDED');
    expect(TestSystem.code(await login('nurlan'))).toBe('ACCESS_SUSPENDED');
    // Another number is not affected.
    expect((await t.graphql<any>(`{ me { id } }`, {}, { token: aigerim.accessToken })).errors).toBeUndefined();

    await topUp(t, nurlan.subscriberId, 100_000);
    const back = await eventually(() => login('nurlan'), (r) => !!r.data?.login);
    expect(back.data.login.accessToken).toEqual(expect.any(String));
  });

  it('a credit limit staff raise settles a debt too; orders refused for funds see the limit', async () => {
    const staff = await staffToken(t);
    const aigerim = await loginDemo(t, 'aigerim');
    const before = await ledgerOf(t, aigerim.subscriberId);
    // A day's fees, then a charge past the balance: into debt.
    clock.advance(24 * 3600_000);
    await runFees();
    const { account } = await ledgerOf(t, aigerim.subscriberId);
    expect(account.balanceMinor).toBeLessThan(before.account.balanceMinor);
    const charge = await internalRequest(t.system.subgraphs.billing.url, '/internal/charges', t.system.platform.internalToken, {
      body: { subscriberId: aigerim.subscriberId, reference: `test:debt:${operatorDay(clock.now())}`, kind: 'CHARGE', amountMinor: account.balanceMinor + 100, description: { KK: 'x', RU: 'x', EN: 'x' }, requireFunds: false },
    });
    expect(charge.status).toBe(200);
    await eventually(() => t.graphql(`{ me { id } }`, {}, { token: aigerim.accessToken }), (r) => TestSystem.code(r) === 'ACCESS_SUSPENDED');

    const set = await t.graphql<any>(`mutation ($s: ID!) { setCreditLimit(subscriberId: $s, amount: "1000") { creditLimit { amount } inDebt } }`, { s: aigerim.subscriberId }, { token: staff });
    expect(set.data.setCreditLimit).toEqual({ creditLimit: { amount: '1000.00' }, inDebt: false });
    const again = await eventually(() => login('aigerim'), (r) => !!r.data?.login);
    const token = again.data.login.accessToken as string;
    // Within the limit now: a switch fee may take the balance below zero (−1.00 − 500.00 ≥ −1 000.00).
    expect((await changeTariff(t, token, aigerim.subscriberId, 'BEELINE_S', '2025-11-01')).data!.changeTariff.status).toBe('COMPLETED');
    expect(TestSystem.code(await changeTariff(t, token, aigerim.subscriberId, 'BEELINE_M', '2025-11-01'))).toBe('INSUFFICIENT_FUNDS');
  });
});
