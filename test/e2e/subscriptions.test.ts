import type { Client } from 'graphql-ws';
import { billingEvents } from '@selfcare/shared';
import { AccountEntity, LedgerEntryKind, LedgerService } from '@selfcare/billing';
import { TestSystem } from '../support/system';

/**
 * Subscriptions through the gateway over graphql-ws (a real client): `balanceChanged` is billing's, and its
 * payload selects fields of identity (msisdn) and catalog (tariff) — the gateway runs the rest of the plan
 * for each event. `after` resumes: changes missed while disconnected come first.
 */
describe('balanceChanged over websockets through the gateway', () => {
  let t: TestSystem;
  let token: string;
  let subscriberId: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    t = await TestSystem.start();
    ({ accessToken: token, subscriberId } = await t.login('+77051234567', 'Demo-2026'));
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await t?.stop();
  });

  const SUBSCRIPTION = `subscription ($id: ID!, $after: String) {
    balanceChanged(subscriberId: $id, after: $after) {
      subscriber { msisdn tariff { code } }
      balance { amount currency }
      delta { amount }
      entry { kind }
      cursor
    }
  }`;

  /** A charge posted the way other subgraphs' orders will post theirs: through billing's ledger. */
  async function charge(amountMinor: number, reference: string) {
    const runtime = t.system.subgraphs.billing.runtime;
    const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
    await runtime.database.transaction(async (manager) => {
      const account = await manager.findOneOrFail(AccountEntity, { where: { subscriberId } });
      await ledger.post(manager, account.id, {
        amountMinor: -amountMinor,
        kind: LedgerEntryKind.CHARGE,
        description: { KK: 'Сынақ', RU: 'Тест', EN: 'Test' },
        reference,
      });
    });
  }

  function subscribe(variables: Record<string, unknown>, accessToken = token) {
    const client = t.wsClient(accessToken);
    clients.push(client);
    return { client, events: client.iterate<any>({ query: SUBSCRIPTION, variables }) };
  }

  it('pushes each balance change with fields from identity, catalog and billing, then resumes after a disconnect', async () => {
    // A client loads the ledger, then subscribes after its newest entry: nothing falls between the two.
    const ledger = await t.graphql(`{ me { account { entries(first: 1) { edges { cursor } } } } }`, {}, { token });
    const newest = ledger.data!.me.account.entries.edges[0].cursor as string;
    const first = subscribe({ id: subscriberId, after: newest });
    const pending = first.events.next();
    await charge(150_00, 'ws-test-1');
    const event = (await pending).value;
    expect(event.errors).toBeUndefined();
    const change = event.data.balanceChanged;
    expect(change).toMatchObject({
      subscriber: { msisdn: '+77051234567', tariff: { code: 'BEELINE_M' } },
      balance: { currency: 'KZT' },
      delta: { amount: '-150.00' },
      entry: { kind: 'CHARGE' },
    });
    await first.events.return?.();
    await first.client.dispose();

    // Two changes while nobody listens; resuming after the last cursor delivers both, in order.
    await charge(10_00, 'ws-test-2');
    await charge(20_00, 'ws-test-3');
    const resumed = subscribe({ id: subscriberId, after: change.cursor });
    const a = (await resumed.events.next()).value.data.balanceChanged;
    const b = (await resumed.events.next()).value.data.balanceChanged;
    expect([a.delta.amount, b.delta.amount]).toEqual(['-10.00', '-20.00']);
    expect(Number(b.balance.amount)).toBeCloseTo(Number(change.balance.amount) - 30, 2);
    await resumed.events.return?.();
  }, 60_000);

  it("refuses another subscriber's number with FORBIDDEN", async () => {
    const other = await t.login('+77071112233', 'Demo-2026');
    const { events } = subscribe({ id: subscriberId }, other.accessToken);
    const result = (await events.next()).value;
    expect(result.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('refuses a cursor that is not one of this account ledger entries with BAD_USER_INPUT', async () => {
    const other = await t.login('+77071112233', 'Demo-2026');
    const ledger = await t.graphql(`{ me { account { entries(first: 1) { edges { cursor } } } } }`, {}, { token: other.accessToken });
    const foreignCursor = ledger.data!.me.account.entries.edges[0].cursor as string;
    const { events } = subscribe({ id: subscriberId, after: foreignCursor });
    const result = (await events.next()).value;
    expect(result.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('refuses a subscription without a token with UNAUTHENTICATED', async () => {
    const client = t.wsClient();
    clients.push(client);
    const result = (await client.iterate<any>({ query: SUBSCRIPTION, variables: { id: subscriberId } }).next()).value;
    expect(result.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers broken subscription requests with BAD_USER_INPUT and keeps the socket and its other subscriptions', async () => {
    const ledger = await t.graphql(`{ me { account { entries(first: 1) { edges { cursor } } } } }`, {}, { token });
    const newest = ledger.data!.me.account.entries.edges[0].cursor as string;
    const { client, events } = subscribe({ id: subscriberId, after: newest });
    // A closed socket rejects with a CloseEvent: turn it into a value the assertions below can show.
    const pending = events.next().catch((closed: { code?: number; reason?: string }) => ({ done: true, value: { closed: `${closed?.code} ${closed?.reason}` } as any }));
    const refusal = (payload: { query: string; variables?: Record<string, unknown>; operationName?: string }) =>
      client
        .iterate<any>(payload)
        .next()
        .then(
          (result) => result.value?.errors,
          (errors: unknown) => errors,
        ) as Promise<{ message: string; extensions?: Record<string, unknown> }[]>;
    // graphql-ws alone closed the whole socket (4500) on a syntax error, and sent validation errors without a code.
    const syntax = await refusal({ query: 'subscription { balanceChanged(' });
    expect(syntax[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const unknownField = await refusal({ query: 'subscription { balanceChanged(subscriberId: "x") { nope } }' });
    expect(unknownField[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const unknownOperation = await refusal({ query: 'subscription A { balanceChanged(subscriberId: "x") { cursor } }', operationName: 'B' });
    expect(unknownOperation[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    // A variable of the wrong type is refused at the gateway, naming the argument (it used to come back INTERNAL).
    const badVariable = await refusal({ query: SUBSCRIPTION, variables: { id: { not: 'an id' } } });
    expect(badVariable[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'subscriberId' });
    expect(JSON.stringify([syntax, unknownField, unknownOperation, badVariable])).not.toMatch(/INTERNAL|at \w+ \(/);
    // A subgraph's own text arrives as over HTTP, not replaced by the generic "invalid input".
    const badCursor = await refusal({ query: SUBSCRIPTION, variables: { id: subscriberId, after: 'not-a-cursor' } });
    expect(badCursor[0]).toMatchObject({ message: 'Неверный курсор', extensions: { code: 'BAD_USER_INPUT', field: 'after', serviceName: 'billing' } });

    await charge(5_00, 'ws-test-after-bad-requests');
    const event = (await pending).value;
    expect(event.errors).toBeUndefined();
    expect(event.data.balanceChanged.delta.amount).toBe('-5.00');
    await events.return?.();
  });

  // Last: it stops billing.
  it('ends a subscription with SERVICE_UNAVAILABLE when the owning subgraph goes away (the client resumes with its cursor)', async () => {
    const { events } = subscribe({ id: subscriberId });
    const pending = events.next().catch((failure: unknown) => ({ done: true, value: { failure: JSON.stringify(failure) } as any }));
    // Let the gateway open its upstream subscription on billing first.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await t.system.subgraphs.billing.stop();
    const result = await pending;
    // It used to arrive as an error `[object Object]` with no code.
    expect(result.done).toBe(false);
    expect(result.value.errors).toEqual([expect.objectContaining({ extensions: { code: 'SERVICE_UNAVAILABLE', service: 'billing' } })]);
    expect((await events.next()).done).toBe(true);
  });
});
