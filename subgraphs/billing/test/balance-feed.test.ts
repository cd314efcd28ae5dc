import { billingEvents } from '@selfcare/shared';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { INTERNAL_TOKEN_HEADER } from '@selfcare/shared';
import { demo, platformForSuite, waitFor } from '@selfcare/shared/testing';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { AccountEntity, BillingSubgraph, LedgerEntryKind, LedgerService, createBillingSubgraph } from '../src';

const { aigerim, nurlan } = demo;
const T = (text: string) => ({ KK: text, RU: text, EN: text });
const SUBSCRIPTION = `subscription ($id: ID!) { balanceChanged(subscriberId: $id) { delta { amount } entry { kind } cursor } }`;

/**
 * billing's websocket as the gateway uses it: one connection holding the internal token, carrying subscriptions of
 * different callers, each named in its own `extensions`; and the balance feed reading only committed postings.
 */
describe('balanceChanged on billing’s own websocket', () => {
  let definition!: BillingSubgraph;
  const { t, billing } = platformForSuite({ delegation: createDelegationSubgraph, billing: () => (definition = createBillingSubgraph()) }, { standInIdentity: true });
  const wsUrl = () => billing.graphqlUrl.replace(/^http/, 'ws');

  const gatewayLike = () =>
    createClient({ url: wsUrl(), webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, connectionParams: { [INTERNAL_TOKEN_HEADER]: t.platform.internalToken } });

  async function post(subscriberId: string, amountMinor: number, reference: string) {
    const runtime = billing.runtime;
    const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
    await runtime.database.transaction(async (manager) => {
      const account = await manager.findOneOrFail(AccountEntity, { where: { subscriberId } });
      await ledger.post(manager, account.id, { kind: LedgerEntryKind.CHARGE, amountMinor: -amountMinor, description: T('test'), reference });
    });
  }

  it('refuses a connection without the internal token (4403)', async () => {
    const client = createClient({ url: wsUrl(), webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, connectionParams: { authorization: `Bearer ${await t.tokenFor(aigerim.id)}` } });
    const failure = await client
      .iterate({ query: SUBSCRIPTION, variables: { id: aigerim.id } })
      .next()
      .then(
        () => null,
        (closed: { code: number }) => closed,
      );
    expect(failure?.code).toBe(4403);
    await client.dispose();
  });

  it('gives each subscription on the shared connection the caller named in its extensions', async () => {
    const client = gatewayLike();
    try {
      const own = client.iterate<any>({ query: SUBSCRIPTION, variables: { id: aigerim.id }, extensions: { authorization: `Bearer ${await t.tokenFor(aigerim.id)}`, 'accept-language': 'en' } });
      const foreign = client.iterate<any>({ query: SUBSCRIPTION, variables: { id: aigerim.id }, extensions: { authorization: `Bearer ${await t.tokenFor(nurlan.id)}`, 'accept-language': 'kk' } });
      // The connection's own params name nobody: a subscription without extensions is anonymous.
      const anonymous = client.iterate<any>({ query: SUBSCRIPTION, variables: { id: aigerim.id } });
      expect((await foreign.next()).value.errors[0].extensions.code).toBe('FORBIDDEN');
      expect((await anonymous.next()).value.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      await post(aigerim.id, 1_00, 'feed-extensions');
      const event = (await own.next()).value;
      expect(event.errors).toBeUndefined();
      expect(event.data.balanceChanged.delta.amount).toBe('-1.00');
      await own.return?.();
    } finally {
      await client.dispose();
    }
  });

  it('answers errors in the language of the subscription, not of the connection', async () => {
    const client = gatewayLike();
    try {
      const kk = client.iterate<any>({ query: SUBSCRIPTION, variables: { id: aigerim.id }, extensions: { authorization: `Bearer ${await t.tokenFor(nurlan.id)}`, 'accept-language': 'kk' } });
      const en = client.iterate<any>({ query: SUBSCRIPTION, variables: { id: aigerim.id }, extensions: { authorization: `Bearer ${await t.tokenFor(nurlan.id)}`, 'accept-language': 'en' } });
      const [kkError, enError] = [(await kk.next()).value.errors[0], (await en.next()).value.errors[0]];
      expect(enError.message).toBe('Forbidden');
      expect(kkError.message).toBe('Рұқсат жоқ');
    } finally {
      await client.dispose();
    }
  });

  it('never delivers a posting that rolled back, even when woken while it was open', async () => {
    const client = gatewayLike();
    try {
      const events = client.iterate<any>({ query: SUBSCRIPTION, variables: { id: aigerim.id }, extensions: { authorization: `Bearer ${await t.tokenFor(aigerim.id)}` } });
      const first = events.next();
      const runtime = billing.runtime;
      const followers = runtime.feeds.followerCount;
      const account = await runtime.database.manager.findOneByOrFail(AccountEntity, { subscriberId: aigerim.id });
      // The subscription is live once billing follows the account for it.
      await waitFor(() => runtime.feeds.followerCount > followers || undefined, 10_000, 'billing to follow the account');
      const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
      await expect(
        runtime.database.transaction(async (manager) => {
          await ledger.post(manager, account.id, { kind: LedgerEntryKind.CHARGE, amountMinor: -99_00, description: T('rolled back'), reference: 'feed-rollback' });
          // A wake-up while the posting is open (as the safety poll could give): the feed must not see it.
          runtime.feeds.wake([`account:${account.id}`]);
          await new Promise((resolve) => setImmediate(resolve));
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      await post(aigerim.id, 2_00, 'feed-after-rollback');
      expect((await first).value.data.balanceChanged.delta.amount).toBe('-2.00');
      await events.return?.();
    } finally {
      await client.dispose();
    }
  });

  it('delivers a posting billing made itself from what it committed, without reading the ledger back; one made elsewhere is read', async () => {
    const client = gatewayLike();
    const runtime = billing.runtime;
    const counter = runtime.database.counter;
    const logQuery = counter.logQuery.bind(counter);
    const feedReads: string[] = [];
    counter.logQuery = (query: string) => {
      if (/ledger_entries[\s\S]*ORDER BY/i.test(query)) feedReads.push(query);
      logQuery(query);
    };
    try {
      // The earlier tests' subscriptions end on the server a moment after their clients leave: gone first, so the
      // count below rises by this one's feed and not by nothing while an old one goes.
      await waitFor(() => runtime.feeds.followerCount === 0 || undefined, 10_000, 'the earlier feeds to end');
      const events = client.iterate<any>({ query: SUBSCRIPTION, variables: { id: nurlan.id }, extensions: { authorization: `Bearer ${await t.tokenFor(nurlan.id)}` } });
      const first = events.next();
      await waitFor(() => runtime.feeds.followerCount > 0 || undefined, 10_000, 'billing to follow the account');
      const account = await runtime.database.manager.findOneByOrFail(AccountEntity, { subscriberId: nurlan.id });
      // The feed's first read (after where it starts) comes from the database.
      await waitFor(() => feedReads.length > 0 || undefined, 10_000, 'the feed’s first read');
      feedReads.length = 0;
      await runtime.database.transaction((manager) => definition.services.ledger.post(manager, account.id, { kind: LedgerEntryKind.CHARGE, amountMinor: -3_00, description: T('own posting') }));
      expect((await first).value.data.balanceChanged.delta.amount).toBe('-3.00');
      expect(feedReads).toEqual([]);
      // Another replica's posting (a ledger of its own): the feed reads it from the database.
      await post(nurlan.id, 4_00, 'feed-other-replica');
      expect((await events.next()).value.data.balanceChanged.delta.amount).toBe('-4.00');
      expect(feedReads.length).toBeGreaterThan(0);
      // And billing's own next one follows it without a gap (it is read or taken, never skipped).
      await runtime.database.transaction((manager) => definition.services.ledger.post(manager, account.id, { kind: LedgerEntryKind.CHARGE, amountMinor: -5_00, description: T('own posting') }));
      expect((await events.next()).value.data.balanceChanged.delta.amount).toBe('-5.00');
      await events.return?.();
    } finally {
      counter.logQuery = logQuery;
      await client.dispose();
    }
  });
});
