import { randomUUID } from 'node:crypto';
import {
  ConsumerHandler,
  DomainEvent,
  IdempotentConsumer,
  InProcessEventBus,
  InboxEventEntity,
  NotificationDispatcher,
  OutboxEventEntity,
  ManualClock,
  OutboxRelay,
  ServiceMetrics,
  TransactionalOutbox,
  systemClock,
} from '../src';
import { waitFor } from '../src/testing/wait';
import { OpenedDatabase, TestApplied, TestChange, metrics, openEventDatabase, recordApplied, silentLogger } from './event-fixtures';

const noTransport = { send: async () => { throw new Error('no notifications in this test'); } };

describe('transactional outbox, relay and idempotent consumer (real database)', () => {
  let producer: OpenedDatabase;
  let consumerDb: OpenedDatabase;
  let bus: InProcessEventBus;
  let relay: OutboxRelay;
  let consumer: IdempotentConsumer;
  let outbox: TransactionalOutbox;

  /** Another consumer group of identity's stream on the consumer's database. */
  const consumerOf = (group: string, handler: ConsumerHandler) => new IdempotentConsumer({ database: consumerDb.database, bus, stream: 'identity', group, handler, logger: silentLogger });

  beforeEach(async () => {
    producer = await openEventDatabase('producer');
    consumerDb = await openEventDatabase('consumer');
    bus = new InProcessEventBus();
    outbox = new TransactionalOutbox('identity', systemClock);
    relay = new OutboxRelay({
      database: producer.database,
      bus,
      stream: 'identity',
      dispatcher: new NotificationDispatcher(noTransport, noTransport, silentLogger),
      logger: silentLogger,
      metrics: metrics(),
      pollIntervalMs: 60_000,
    });
    consumer = consumerOf('billing', recordApplied);
    await consumer.start();
  });

  afterEach(async () => {
    await relay.stop();
    await consumer.stop();
    await bus.close();
    await producer.close();
    await consumerDb.close();
  });

  it('publishes an event written in the same transaction as the change; a rolled-back transaction publishes nothing', async () => {
    const kept = randomUUID();
    await producer.database.transaction(async (manager) => {
      await manager.insert(TestChange, { id: kept, label: 'kept' });
      await outbox.add(manager, 'SubscriberProvisioned', { subscriberId: kept, label: 'kept', index: 1 });
    });
    await expect(
      producer.database.transaction(async (manager) => {
        await manager.insert(TestChange, { id: randomUUID(), label: 'lost' });
        await outbox.add(manager, 'SubscriberProvisioned', { label: 'lost', index: 2 });
        throw new Error('business rule failed after the write');
      }),
    ).rejects.toThrow('business rule failed');

    // Only the committed change and its event exist.
    expect(await producer.database.manager.count(TestChange)).toBe(1);
    expect(await producer.database.manager.count(OutboxEventEntity)).toBe(1);

    const result = await relay.drainOnce();
    expect(result).toEqual({ published: 1, dispatched: 0, failed: 0 });

    const applied = await consumerDb.database.manager.find(TestApplied);
    expect(applied.map((a) => [Number(a.eventId), a.label])).toEqual([[1, 'kept']]);
    const row = await producer.database.manager.findOneByOrFail(OutboxEventEntity, { stream: 'identity' });
    expect(row.publishedAt).toBeInstanceOf(Date);
    expect(Number(row.publishSeq)).toBe(1);
    expect(row.type).toBe('SubscriberProvisioned');
    expect(await consumerDb.database.manager.count(InboxEventEntity, { where: { consumerGroup: 'billing', stream: 'identity' } })).toBe(1);

    // A second round finds nothing left to do.
    expect(await relay.drainOnce()).toEqual({ published: 0, dispatched: 0, failed: 0 });
  });

  it('deletes published rows past retention but keeps numbering the stream on from the last id', async () => {
    const clock = new ManualClock(new Date('2026-01-10T00:00:00Z'));
    const timedOutbox = new TransactionalOutbox('identity', clock);
    const metricsRegistry = new ServiceMetrics('identity');
    const retaining = new OutboxRelay({
      database: producer.database,
      bus,
      stream: 'identity',
      dispatcher: new NotificationDispatcher(noTransport, noTransport, silentLogger),
      logger: silentLogger,
      metrics: metricsRegistry,
      pollIntervalMs: 60_000,
      retentionMs: 24 * 3_600_000,
      clock,
    });
    for (const index of [1, 2, 3]) {
      await producer.database.transaction((manager) => timedOutbox.add(manager, 'TariffChanged', { index, label: `old ${index}` }));
    }
    expect((await retaining.drainOnce()).published).toBe(3);
    clock.advance(2 * 24 * 3_600_000);
    await retaining.drainOnce();
    // The newest row stays: the next event continues from its sequence number.
    const left = await producer.database.manager.find(OutboxEventEntity);
    expect(left.map((r) => Number(r.publishSeq))).toEqual([3]);
    await producer.database.transaction((manager) => timedOutbox.add(manager, 'TariffChanged', { index: 4, label: 'new' }));
    await retaining.drainOnce();
    const applied = await consumerDb.database.manager.find(TestApplied, { order: { burstIndex: 'ASC' } });
    expect(applied.map((a) => [a.burstIndex, Number(a.eventId)])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
    const published = await metricsRegistry.registry.getSingleMetricAsString('outbox_published_total');
    expect(published).toContain('outbox_published_total{stream="identity",kind="event",service="identity"} 4');
  });

  it('refuses an outbox write outside a transaction (it could not commit with the change)', async () => {
    await expect(outbox.add(producer.database.manager, 'SubscriberProvisioned', {})).rejects.toThrow(/inside database.transaction/);
    expect(await producer.database.manager.count(OutboxEventEntity)).toBe(0);
  });

  it('a committed write pokes the running relay, which publishes without waiting for its poll', async () => {
    outbox.onWrite(() => relay.poke());
    relay.start();
    await relay.drainOnce(); // the start round, so the poke below is what publishes
    await producer.database.transaction((manager) => outbox.add(manager, 'TariffChanged', { index: 7, label: 'poked' }));
    // The poll interval is a minute: only the after-commit poke can deliver this quickly.
    await waitFor(async () => (await consumerDb.database.manager.count(TestApplied)) === 1, 5_000, 'poked delivery');
    const [applied] = await consumerDb.database.manager.find(TestApplied);
    expect(applied!.label).toBe('poked');
  });

  it('skips a redelivered event: the inbox row commits with the change, so the same id is applied once', async () => {
    const event: DomainEvent = { stream: 'identity', id: 42, type: 'SubscriberProvisioned', payload: { index: 42, label: 'once' }, occurredAt: new Date().toISOString() };
    expect(await consumer.apply(event)).toBe(true);
    expect(await consumer.apply(event)).toBe(false);
    expect(await consumer.apply({ ...event })).toBe(false);
    // The bus too: publishing an id again is a no-op, but even a bus that redelivers (Redis after a crash) is safe.
    await bus.publish('identity', [event]);
    const rows = await consumerDb.database.manager.find(TestApplied);
    expect(rows.map((r) => Number(r.eventId))).toEqual([42]);
    // Another consumer group gets its own inbox row for the same event.
    const other = consumerOf('delegation', recordApplied);
    expect(await other.apply(event)).toBe(true);
    expect(await consumerDb.database.manager.count(InboxEventEntity)).toBe(2);
  });

  it('a handler failure rolls back the inbox row too, so the event is applied when redelivered', async () => {
    let failOnce = true;
    const flaky = consumerOf('catalog', async (event, manager) => {
      await recordApplied(event, manager);
      if (failOnce) {
        failOnce = false;
        throw new Error('downstream hiccup');
      }
    });
    const event: DomainEvent = { stream: 'identity', id: 5, type: 'DebtSettled', payload: { index: 5, label: 'retry' }, occurredAt: new Date().toISOString() };
    await expect(flaky.apply(event)).rejects.toThrow('downstream hiccup');
    expect(await consumerDb.database.manager.count(InboxEventEntity, { where: { consumerGroup: 'catalog' } })).toBe(0);
    expect(await consumerDb.database.manager.count(TestApplied)).toBe(0);
    expect(await flaky.apply(event)).toBe(true);
    expect(await consumerDb.database.manager.count(TestApplied)).toBe(1);
  });

  it('applies a read’s events in one transaction, and one by one when some were applied before or a handler fails', async () => {
    const at = new Date().toISOString();
    const event = (id: number): DomainEvent => ({ stream: 'identity', id, type: 'SubscriberProvisioned', payload: { index: id, label: `e${id}` }, occurredAt: at });
    const applied = async () => (await consumerDb.database.manager.find(TestApplied, { order: { eventId: 'ASC' } })).map((r) => Number(r.eventId));
    await consumer.applyMany([event(1), event(2), event(3)]);
    expect(await applied()).toEqual([1, 2, 3]);
    // A redelivered read with events applied before: each of the new ones once, the old ones skipped.
    await consumer.applyMany([event(2), event(3), event(4), event(5)]);
    expect(await applied()).toEqual([1, 2, 3, 4, 5]);
    expect(await consumerDb.database.manager.count(InboxEventEntity, { where: { consumerGroup: 'billing' } })).toBe(5);
    // A handler failing on event 8: the batch rolls back, 7 is applied on its own, 8 and 9 wait for the redelivery.
    let failing = true;
    const flaky = consumerOf('catalog', async (e, manager) => {
      if (e.id === 8 && failing) throw new Error('downstream hiccup');
      await recordApplied(e, manager);
    });
    await expect(flaky.applyMany([event(7), event(8), event(9)])).rejects.toThrow('downstream hiccup');
    const inbox = async () => (await consumerDb.database.manager.find(InboxEventEntity, { where: { consumerGroup: 'catalog' } })).map((r) => Number(r.eventId)).sort((a, b) => a - b);
    expect(await inbox()).toEqual([7]);
    failing = false;
    await flaky.applyMany([event(8), event(9)]);
    expect(await inbox()).toEqual([7, 8, 9]);
    expect(await applied()).toEqual([1, 2, 3, 4, 5, 7, 8, 9]);
  });
});
