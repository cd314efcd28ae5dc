import { billingEvents } from '@selfcare/shared';
import { Server, Socket, createServer } from 'node:net';
import { AccountEntity, LedgerEntryKind, LedgerService } from '@selfcare/billing';
import { waitFor } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';
import { RawSocket } from '../support/raw-ws';

/**
 * An event whose payload needs another subgraph that hangs: the subscription must not wait silently for ever,
 * nor hold an ever-growing queue of the events behind it.
 */
describe('a subscription whose events cannot be completed', () => {
  let t: TestSystem;
  let hang: Server | undefined;
  const held: Socket[] = [];

  beforeAll(async () => {
    t = await TestSystem.start({ subscriptions: { maxQueuedEvents: 3, eventTimeoutMs: 2_000 } });
  }, 120_000);
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => (hang ? hang.close(resolve) : resolve(undefined)));
    await t?.stop();
  });

  it('ends with SERVICE_UNAVAILABLE and lets go of billing when identity answers nothing', async () => {
    const { accessToken, subscriberId } = await t.login('+77051234567', 'Demo-2026');
    const raw = await RawSocket.open(`${t.url}/graphql`, { authorization: `Bearer ${accessToken}` });
    const feeds = () => t.system.subgraphs.billing.runtime.feeds.followerCount;
    // The payload needs identity (msisdn) for every event.
    raw.send({ id: '1', type: 'subscribe', payload: { query: 'subscription ($id: ID!) { balanceChanged(subscriberId: $id) { subscriber { msisdn } delta { amount } } }', variables: { id: subscriberId } } });
    await waitFor(() => feeds() === 1 || undefined, 10_000, 'the feed on billing');

    // identity is replaced by a listener that takes connections and never answers.
    const identity = t.system.subgraphs.identity;
    await identity.stop();
    hang = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => hang!.listen(identity.port, '127.0.0.1', resolve));

    const runtime = t.system.subgraphs.billing.runtime;
    const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
    await runtime.database.transaction(async (manager) => {
      const account = await manager.findOneOrFail(AccountEntity, { where: { subscriberId } });
      for (let i = 0; i < 10; i += 1) {
        await ledger.post(manager, account.id, { amountMinor: -(i + 1), kind: LedgerEntryKind.CHARGE, description: { KK: 'т', RU: 'т', EN: 't' }, reference: `stall-${i}` });
      }
    });
    // The queue overflows (or the first event times out): the upstream subscription ends either way.
    await waitFor(() => feeds() === 0 || undefined, 10_000, () => `billing to let go (${feeds()} feeds)`);
    // (An event whose identity call failed outright, on a connection the old identity closed, may come first.)
    const ended = await raw.until((m) => m.id === '1' && m.type === 'next' && m.payload.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE');
    expect(ended.payload.data).toBeUndefined();
    expect(await raw.until((m) => m.id === '1' && m.type === 'complete')).toBeTruthy();
    // Nothing after it, and never more than what fit in the queue.
    const sent = raw.messages.filter((m) => m.id === '1');
    expect(sent.slice(-2)).toEqual([ended, expect.objectContaining({ type: 'complete' })]);
    expect(sent.length).toBeLessThanOrEqual(3 + 2);
    raw.close();
  }, 30_000);
});
