import type { Client } from 'graphql-ws';
import { AccountEntity, LedgerEntryKind, LedgerService, billingEntities } from '@selfcare/billing';
import { ContractOutbox, Database, InboxEventEntity, OutboxEventEntity, TransactionalOutbox, billingEvents, systemClock } from '@selfcare/shared';
import { waitFor } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';
import { RawSocket } from '../support/raw-ws';

/**
 * Subscriptions through the gateway over graphql-ws (real clients): `balanceChanged` is billing's, and its
 * payload selects fields of identity (msisdn) and catalog (tariff) — the gateway runs the rest of the plan
 * for each event. `after` resumes: changes missed while disconnected come first. The gateway carries every
 * subscription to billing over one shared connection and resumes them by cursor when billing restarts.
 */
describe('balanceChanged over websockets through the gateway', () => {
  let t: TestSystem;
  let token: string;
  let subscriberId: string;
  const clients: Client[] = [];
  const raws: RawSocket[] = [];
  const RESUME_WINDOW_MS = 10_000;

  beforeAll(async () => {
    t = await TestSystem.start({ subscriptions: { resumeWindowMs: RESUME_WINDOW_MS } });
    ({ accessToken: token, subscriberId } = await t.login('+77051234567', 'Demo-2026'));
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    for (const raw of raws) raw.close();
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
  /** Billing's fields only: no other subgraph per event. */
  const LEAN = `subscription ($id: ID!, $after: String) { balanceChanged(subscriberId: $id, after: $after) { balance { amount } delta { amount } cursor } }`;

  /** A charge posted the way other subgraphs' orders will post theirs: through billing's ledger. */
  async function charge(amountMinor: number, reference: string, owner = subscriberId, runtime = t.system.subgraphs.billing.runtime) {
    const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
    await runtime.database.transaction(async (manager) => {
      const account = await manager.findOneOrFail(AccountEntity, { where: { subscriberId: owner } });
      await ledger.post(manager, account.id, {
        amountMinor: -amountMinor,
        kind: LedgerEntryKind.CHARGE,
        description: { KK: 'Сынақ', RU: 'Тест', EN: 'Test' },
        reference,
      });
    });
  }

  function subscribe(variables: Record<string, unknown>, accessToken = token, query = SUBSCRIPTION) {
    const client = t.wsClient(accessToken);
    clients.push(client);
    return { client, events: client.iterate<any>({ query, variables }) };
  }

  async function newestCursor(accessToken = token): Promise<string> {
    const ledger = await t.graphql(`{ me { account { entries(first: 1) { edges { cursor } } } } }`, {}, { token: accessToken });
    return ledger.data!.me.account.entries.edges[0].cursor as string;
  }

  async function rawSocket(accessToken: string | null = token): Promise<RawSocket> {
    const raw = await RawSocket.open(`${t.url}/graphql`, accessToken ? { authorization: `Bearer ${accessToken}` } : {});
    raws.push(raw);
    return raw;
  }

  it('pushes each balance change with fields from identity, catalog and billing, then resumes after a disconnect', async () => {
    // A client loads the ledger, then subscribes after its newest entry: nothing falls between the two.
    const first = subscribe({ id: subscriberId, after: await newestCursor() });
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
    // The gateway's own resume alias never reaches the client.
    expect(Object.keys(change).sort()).toEqual(['balance', 'cursor', 'delta', 'entry', 'subscriber']);
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

  it('delivers concurrent postings to every subscriber of the account exactly once, in order, with no gap', async () => {
    const after = await newestCursor();
    const watchers = [subscribe({ id: subscriberId, after }, token, LEAN), subscribe({ id: subscriberId, after }, token, LEAN)];
    const received = watchers.map(() => [] as { balance: { amount: string }; delta: { amount: string }; cursor: string }[]);
    const reading = watchers.map(async ({ events }, index) => {
      while (received[index]!.length < 30) {
        const next = await events.next();
        if (next.done) throw new Error(`subscription ended early: ${JSON.stringify(next.value)}`);
        expect(next.value.errors).toBeUndefined();
        received[index]!.push(next.value.data.balanceChanged);
      }
    });
    await Promise.all(Array.from({ length: 30 }, (_, i) => charge(1_00 + i, `ws-concurrent-${i}`)));
    await Promise.all(reading);
    for (const events of received) {
      expect(new Set(events.map((e) => e.cursor)).size).toBe(30);
      // Each balance is the one before it plus its delta: no entry missed, none twice, none out of order.
      for (let i = 1; i < events.length; i += 1) {
        expect(Math.round(Number(events[i]!.balance.amount) * 100)).toBe(Math.round((Number(events[i - 1]!.balance.amount) + Number(events[i]!.delta.amount)) * 100));
      }
    }
    expect(received[1]).toEqual(received[0]);
    for (const { events } of watchers) await events.return?.();
  }, 60_000);

  it('carries all subscriptions to billing over one shared connection', async () => {
    let upgrades = 0;
    const onUpgrade = () => void (upgrades += 1);
    const billingServer = t.system.subgraphs.billing.httpServer;
    billingServer.on('upgrade', onUpgrade);
    try {
      const after = await newestCursor();
      const sockets = await Promise.all([0, 1, 2].map(() => rawSocket()));
      sockets.forEach((raw, s) => {
        for (let i = 0; i < 10; i += 1) raw.send({ id: `m${s}-${i}`, type: 'subscribe', payload: { query: LEAN, variables: { id: subscriberId, after } } });
      });
      await charge(3_00, 'ws-multiplexed');
      await Promise.all(sockets.flatMap((raw, s) => Array.from({ length: 10 }, (_, i) => raw.until((m) => m.id === `m${s}-${i}` && m.type === 'next'))));
      // Thirty subscriptions from three client sockets: at most one new socket to billing (none when already open).
      expect(upgrades).toBeLessThanOrEqual(1);
      for (const raw of sockets) raw.close();
    } finally {
      billingServer.off('upgrade', onUpgrade);
    }
  });

  it("refuses another subscriber's number with FORBIDDEN", async () => {
    const other = await t.login('+77071112233', 'Demo-2026');
    const { events } = subscribe({ id: subscriberId }, other.accessToken);
    const result = (await events.next()).value;
    expect(result.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('refuses a cursor that is not one of this account ledger entries with BAD_USER_INPUT', async () => {
    const other = await t.login('+77071112233', 'Demo-2026');
    const { events } = subscribe({ id: subscriberId, after: await newestCursor(other.accessToken) });
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
    const { client, events } = subscribe({ id: subscriberId, after: await newestCursor() });
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
    const query = await refusal({ query: '{ me { id } }' });
    expect(query[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    // A document of one field repeated: graphql-js validation of it grows with the square of its size (100 KB
    // blocked the event loop ~20 s); refused by its token count before validation.
    const repeated = await refusal({ query: `subscription { balanceChanged(subscriberId: "x") { ${'cursor '.repeat(14_000)}} }` });
    expect(repeated[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(JSON.stringify([syntax, unknownField, unknownOperation, badVariable, query, repeated])).not.toMatch(/INTERNAL|at \w+ \(/);
    // A subgraph's own text arrives as over HTTP, not replaced by the generic "invalid input".
    const badCursor = await refusal({ query: SUBSCRIPTION, variables: { id: subscriberId, after: 'not-a-cursor' } });
    expect(badCursor[0]).toMatchObject({ message: 'Неверный курсор', extensions: { code: 'BAD_USER_INPUT', field: 'after', serviceName: 'billing' } });
    // A huge string literal passes the token count but would make billing's shared socket close (over its
    // message cap) for everybody on it: refused at the gateway.
    const huge = await refusal({ query: `subscription { balanceChanged(subscriberId: "${'x'.repeat(99_000)}") { cursor } }` });
    expect(huge[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });

    await charge(5_00, 'ws-test-after-bad-requests');
    const event = (await pending).value;
    expect(event.errors).toBeUndefined();
    expect(event.data.balanceChanged.delta.amount).toBe('-5.00');
    await events.return?.();
  });

  it('closes a socket that sends a message over 100 KB (1009), and only that socket', async () => {
    const after = await newestCursor();
    const bystander = subscribe({ id: subscriberId, after }, token, LEAN);
    const pending = bystander.events.next();
    const raw = await rawSocket();
    raw.send({ id: 'big', type: 'subscribe', payload: { query: LEAN, variables: { id: subscriberId, after, padding: 'x'.repeat(101 * 1024) } } });
    expect((await raw.closed).code).toBe(1009);
    // Just under the cap is read (and served) normally.
    const fits = await rawSocket();
    fits.send({ id: 'fits', type: 'subscribe', payload: { query: LEAN, variables: { id: subscriberId, after, padding: 'x'.repeat(99 * 1024) } } });
    await charge(6_00, 'ws-after-oversized');
    expect(await fits.until((m) => m.id === 'fits')).toMatchObject({ type: 'next', payload: { data: { balanceChanged: { delta: { amount: '-6.00' } } } } });
    expect((await pending).value.data.balanceChanged.delta.amount).toBe('-6.00');
    await bystander.events.return?.();
    fits.close();
  });

  it('caps subscriptions per socket with RATE_LIMITED and keeps the socket and its other subscriptions', async () => {
    const raw = await rawSocket();
    const after = await newestCursor();
    for (let i = 0; i < 51; i += 1) raw.send({ id: `s${i}`, type: 'subscribe', payload: { query: LEAN, variables: { id: subscriberId, after } } });
    const refused = await raw.until((m) => m.id === 's50');
    expect(refused).toMatchObject({ type: 'error', payload: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED', limit: 'subscriptionsPerSocket', max: 50 }) })] });
    expect(refused.payload[0].message).toBe('Слишком много подписок в одном соединении (не более 50)');
    await charge(7_00, 'ws-per-socket-cap');
    await raw.until((m) => m.id === 's49' && m.type === 'next');
    // A subscription that ends gives its place back (once the gateway has handled the complete).
    raw.send({ id: 's0', type: 'complete' });
    let attempt = 0;
    await waitFor(async () => {
      const id = `again-${(attempt += 1)}`;
      raw.send({ id, type: 'subscribe', payload: { query: LEAN, variables: { id: subscriberId, after } } });
      return (await raw.until((m) => m.id === id)).type === 'next' || undefined;
    }, 10_000, 'a place freed by complete');
    raw.close();
  });

  it('caps sockets and subscriptions per subscriber, and anonymous sockets per address, freeing them when they close', async () => {
    // The legal entity's own caller: nothing else in this file holds sockets for it.
    const company = await t.login('+77772223344', 'Demo-2026');
    const sockets = await Promise.all(Array.from({ length: 10 }, () => rawSocket(company.accessToken)));
    const eleventh = await rawSocket(company.accessToken);
    expect(await eleventh.closed).toEqual({ code: 4429, reason: expect.stringMatching(/^RATE_LIMITED: too many sockets for this subscriber \(at most 10\)/) });

    const after = await newestCursor(company.accessToken);
    // 100 subscriptions over ten sockets fill the subscriber's cap; the 101st is refused on whichever socket.
    sockets.forEach((raw) => {
      for (let i = 0; i < 10; i += 1) raw.send({ id: `c${i}`, type: 'subscribe', payload: { query: LEAN, variables: { id: company.subscriberId, after } } });
    });
    await charge(8_00, 'ws-per-subscriber-cap', company.subscriberId);
    await Promise.all(sockets.flatMap((raw) => Array.from({ length: 10 }, (_, i) => raw.until((m) => m.id === `c${i}` && m.type === 'next'))));
    sockets[3]!.send({ id: 'c-extra', type: 'subscribe', payload: { query: LEAN, variables: { id: company.subscriberId, after } } });
    expect(await sockets[3]!.until((m) => m.id === 'c-extra')).toMatchObject({
      type: 'error',
      payload: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED', limit: 'subscriptionsPerCaller', max: 100 }) })],
    });

    // Closing a socket gives back its socket and its ten subscriptions.
    sockets[0]!.close();
    await sockets[0]!.closed;
    const replacement = await waitFor(async () => {
      const raw = await rawSocket(company.accessToken);
      return raw.socket.readyState === raw.socket.OPEN ? raw : undefined;
    }, 10_000, 'a socket place freed by close');
    replacement.send({ id: 'r', type: 'subscribe', payload: { query: LEAN, variables: { id: company.subscriberId, after } } });
    expect((await replacement.until((m) => m.id === 'r')).type).toBe('next');
    for (const raw of [...sockets, replacement]) raw.close();

    const anonymous = await Promise.all(Array.from({ length: 20 }, () => rawSocket(null)));
    expect(anonymous.every((raw) => raw.socket.readyState === raw.socket.OPEN)).toBe(true);
    const over = await rawSocket(null);
    expect((await over.closed).code).toBe(4429);
    // A verified subscriber from the same address is not counted against anonymous sockets.
    const verified = await rawSocket(token);
    expect(verified.socket.readyState).toBe(verified.socket.OPEN);
    for (const raw of [...anonymous, verified]) raw.close();
  }, 60_000);

  it('ends the subscription of a token revoked by logout (the next change is not delivered)', async () => {
    const session = await t.login('+77051234567', 'Demo-2026');
    const { events } = subscribe({ id: subscriberId, after: await newestCursor() }, session.accessToken, LEAN);
    const pending = events.next();
    await charge(9_00, 'ws-before-logout');
    expect((await pending).value.data.balanceChanged.delta.amount).toBe('-9.00');
    expect((await t.graphql('mutation { logout }', {}, { token: session.accessToken })).data).toEqual({ logout: true });
    await charge(9_01, 'ws-after-logout');
    const ended = await events.next();
    expect(ended.value.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await events.next()).done).toBe(true);
  });

  it('resumes subscriptions from their cursor when billing restarts (nothing missed, nothing twice), ends the others with SERVICE_UNAVAILABLE', async () => {
    const feeds = () => t.system.subgraphs.billing.runtime.feeds.followerCount;
    // Earlier tests' subscriptions are gone from billing: its feed count tells when these are live there.
    await waitFor(() => feeds() === 0 || undefined, 10_000, () => `no feeds on billing (${feeds()})`);
    const withCursor = subscribe({ id: subscriberId, after: await newestCursor() }, token, LEAN);
    // Subscribed without `after`, but an event gives it a cursor: resumable too.
    const cursorFromEvent = subscribe({ id: subscriberId }, token, LEAN);
    const firstOfLate = cursorFromEvent.events.next();
    const firstOfResumable = withCursor.events.next();
    await waitFor(() => feeds() === 2 || undefined, 10_000, () => `two feeds on billing (${feeds()})`);
    await charge(11_00, 'ws-before-restart');
    expect((await firstOfResumable).value.data.balanceChanged.delta.amount).toBe('-11.00');
    expect((await firstOfLate).value.data.balanceChanged.delta.amount).toBe('-11.00');
    // Without a cursor and no event yet: nothing to resume from.
    const unresumable = subscribe({ id: subscriberId }, token, LEAN);
    const unresumableResult = unresumable.events.next();
    await waitFor(() => feeds() === 3 || undefined, 10_000, () => `three feeds on billing (${feeds()})`);

    await t.restartSubgraph('billing', async () => {
      // Postings while billing is down (another replica would make them): written to its database directly.
      const database = new Database({ service: 'billing', url: t.databaseUrl('billing'), entities: [OutboxEventEntity, InboxEventEntity, ...billingEntities], migrations: [] });
      await database.open();
      try {
        const outbox = new ContractOutbox(billingEvents, new TransactionalOutbox('billing', systemClock));
        const runtime = { database, outboxFor: () => outbox, clock: systemClock } as never;
        await charge(12_00, 'ws-while-down-1', subscriberId, runtime);
        await charge(13_00, 'ws-while-down-2', subscriberId, runtime);
      } finally {
        await database.close();
      }
    });
    const ended = await unresumableResult;
    expect(ended.value.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', service: 'billing' }) })]);
    expect((await unresumable.events.next()).done).toBe(true);

    await charge(14_00, 'ws-after-restart');
    for (const { events } of [withCursor, cursorFromEvent]) {
      const deltas = [];
      for (let i = 0; i < 3; i += 1) {
        const next = await events.next();
        expect(next.value.errors).toBeUndefined();
        deltas.push(next.value.data.balanceChanged.delta.amount);
      }
      expect(deltas).toEqual(['-12.00', '-13.00', '-14.00']);
    }
    // Nothing more queued: the next change is the next event.
    const after15 = Promise.all([withCursor.events.next(), cursorFromEvent.events.next()]);
    await charge(15_00, 'ws-after-restart-2');
    expect((await after15).map((r) => r.value.data.balanceChanged.delta.amount)).toEqual(['-15.00', '-15.00']);
    for (const { events } of [withCursor, cursorFromEvent]) await events.return?.();
  }, 60_000);

  // Last: it stops billing.
  it('when billing is gone for good: ends subscriptions with SERVICE_UNAVAILABLE (with a cursor after the resume window), survives subscribe-then-complete races', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const { events } = subscribe({ id: subscriberId });
      const resumable = subscribe({ id: subscriberId, after: await newestCursor() });
      const pending = events.next().catch((failure: unknown) => ({ done: true, value: { failure: JSON.stringify(failure) } as any }));
      const pendingResumable = resumable.events.next().catch((failure: unknown) => ({ done: true, value: { failure: JSON.stringify(failure) } as any }));
      await waitFor(() => t.system.subgraphs.billing.runtime.feeds.followerCount >= 2 || undefined, 10_000, 'both feeds on billing');
      await t.system.subgraphs.billing.stop();
      const result = await pending;
      // It used to arrive as an error `[object Object]` with no code.
      expect(result.done).toBe(false);
      expect(result.value.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', service: 'billing' }) })]);
      expect((await events.next()).done).toBe(true);
      // Resumable, but billing never comes back: it ends once the resume window is over, it does not hang.
      const resumed = await pendingResumable;
      expect(resumed.value.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) })]);

      // Subscribe followed at once by complete, with billing unreachable: this used to end the gateway process.
      const raw = await rawSocket();
      for (let i = 0; i < 100; i += 1) {
        raw.send({ id: `race-${i}`, type: 'subscribe', payload: { query: LEAN, variables: { id: subscriberId, after: i % 2 ? 'x' : null } } });
        raw.send({ id: `race-${i}`, type: 'complete' });
      }
      // The raced subscriptions give their places back as they wind down; then a new one is served (and ended).
      let attempt = 0;
      const last = await waitFor(async () => {
        const id = `last-${(attempt += 1)}`;
        raw.send({ id, type: 'subscribe', payload: { query: LEAN, variables: { id: subscriberId } } });
        const first = await raw.until((m) => m.id === id);
        return first.type === 'next' ? first : undefined;
      }, 20_000, 'the raced subscriptions to release their places');
      expect(last.payload.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(await raw.until((m) => m.id === last.id && m.type !== 'next')).toMatchObject({ type: 'complete' });
      expect(raw.socket.readyState).toBe(raw.socket.OPEN);
      expect((await t.graphql('{ tariffs { code } }')).errors).toBeUndefined();
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  }, 60_000);
});
