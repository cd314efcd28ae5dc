import {
  DomainEvent,
  EventBus,
  IdempotentConsumer,
  InProcessEventBus,
  NotificationDispatcher,
  OutboxEventEntity,
  OutboxRelay,
  RedisStreamsEventBus,
  ServiceMetrics,
  TransactionalOutbox,
  systemClock,
} from '../src';
import { IsNull } from 'typeorm';
import Redis from 'ioredis';
import { waitFor } from '../src/testing/wait';
import { OpenedDatabase, TestApplied, appliedIndexes, openEventDatabase, range, recordApplied, silentLogger, uniquePrefix } from './event-fixtures';

const REDIS_URL = 'redis://127.0.0.1:6379';
const N = 500;
const noTransport = { send: async () => { throw new Error('no notifications in this test'); } };

interface BusUnderTest {
  bus: EventBus;
  cleanup(): Promise<void>;
}

const buses: [string, () => BusUnderTest][] = [
  ['in-process bus', () => ({ bus: new InProcessEventBus(), cleanup: async () => undefined })],
  [
    'Redis Streams',
    () => {
      const prefix = uniquePrefix();
      return {
        bus: new RedisStreamsEventBus(REDIS_URL, { keyPrefix: prefix, blockMs: 200, retryBaseMs: 20 }),
        cleanup: async () => {
          const redis = new Redis(REDIS_URL);
          const keys = await redis.keys(`${prefix}*`);
          if (keys.length) await redis.del(...keys);
          await redis.quit();
        },
      };
    },
  ],
];

/**
 * Simulates a relay crash between publishing and marking rows published: every `every`-th publish reaches the
 * bus and then fails, so the relay publishes the same ids again later.
 */
class CrashAfterPublishBus implements EventBus {
  calls = 0;
  constructor(
    private readonly inner: EventBus,
    private readonly every: number,
  ) {}
  async publish(stream: string, events: DomainEvent[]): Promise<void> {
    await this.inner.publish(stream, events);
    this.calls += 1;
    if (this.calls % this.every === 0) throw new Error('relay crashed before marking the rows published');
  }
  subscribe: EventBus['subscribe'] = (stream, group, handler) => this.inner.subscribe(stream, group, handler);
  ping = () => this.inner.ping();
  close = () => this.inner.close();
}

describe.each(buses)('a burst of %s events survives relay and consumer restarts', (_name, makeBus) => {
  let producer: OpenedDatabase;
  let consumerDb: OpenedDatabase;
  let underTest: BusUnderTest;
  const relays: OutboxRelay[] = [];
  const consumers: IdempotentConsumer[] = [];

  beforeEach(async () => {
    producer = await openEventDatabase('burst_producer');
    consumerDb = await openEventDatabase('burst_consumer');
    underTest = makeBus();
  });

  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.stop();
    for (const consumer of consumers.splice(0)) await consumer.stop();
    await underTest.bus.close();
    await underTest.cleanup();
    await producer.close();
    await consumerDb.close();
  });

  function newRelay(bus: EventBus): OutboxRelay {
    const relay = new OutboxRelay({
      database: producer.database,
      bus,
      stream: 'billing',
      dispatcher: new NotificationDispatcher(noTransport, noTransport, silentLogger),
      logger: silentLogger,
      metrics: new ServiceMetrics('billing'),
      pollIntervalMs: 10,
      batchSize: 40,
      retryBaseMs: 5,
      maxRetryDelayMs: 50,
    });
    relays.push(relay);
    return relay;
  }

  async function newConsumer(bus: EventBus): Promise<IdempotentConsumer> {
    const consumer = new IdempotentConsumer({
      database: consumerDb.database,
      bus,
      stream: 'billing',
      group: 'detailing',
      handler: recordApplied,
      logger: silentLogger,
    });
    consumers.push(consumer);
    await consumer.start();
    return consumer;
  }

  /** Writes events index..index+count-1, a few transactions at a time so commits interleave on MariaDB. */
  async function write(outbox: TransactionalOutbox, from: number, count: number): Promise<void> {
    const parallel = 8;
    for (let start = from; start < from + count; start += parallel) {
      await Promise.all(
        range(Math.min(parallel, from + count - start)).map((k) =>
          producer.database.transaction((manager) => outbox.add(manager, 'PaymentReceived', { index: start + k, label: `payment ${start + k}` })),
        ),
      );
    }
  }

  /** Stops every relay and consumer: each finishes what it has in hand, and nothing is delivered after. */
  async function stopDelivery(): Promise<void> {
    for (const relay of relays) await relay.stop();
    for (const consumer of consumers) await consumer.stop();
  }

  /** Once everything arrived and delivery has stopped (`stop`: no redelivery can still be on its way), counts. */
  async function expectExactlyOnce(stop: () => Promise<void> = stopDelivery): Promise<void> {
    await waitFor(async () => (await consumerDb.database.manager.count(TestApplied)) >= N, 60_000, `${N} applied events`);
    await waitFor(async () => (await producer.database.manager.count(OutboxEventEntity, { where: { publishedAt: IsNull() } })) === 0, 20_000, 'all rows published');
    await stop();
    expect(await appliedIndexes(consumerDb.database)).toEqual(range(N));
    const applied = await consumerDb.database.manager.find(TestApplied);
    expect(new Set(applied.map((a) => Number(a.eventId))).size).toBe(N);
    // Bus ids are 1..N without gaps, whatever order the transactions committed in.
    expect(applied.map((a) => Number(a.eventId)).sort((a, b) => a - b)).toEqual(range(N).map((i) => i + 1));
  }

  it('stopping the relay mid-burst and restarting it loses and duplicates nothing', async () => {
    const outbox = new TransactionalOutbox('billing', systemClock);
    let relay = newRelay(underTest.bus);
    outbox.onWrite(() => relay.poke());
    await newConsumer(underTest.bus);
    relay.start();

    await write(outbox, 0, 150);
    await relay.stop(); // finishes the batch in flight
    const unpublished = () => producer.database.manager.count(OutboxEventEntity, { where: { publishedAt: IsNull() } });
    const unpublishedAtStop = await unpublished();
    await write(outbox, 150, 150); // written while no relay runs: they wait in the outbox
    expect(await unpublished()).toBe(unpublishedAtStop + 150);
    relay = newRelay(underTest.bus);
    relay.start();
    await write(outbox, 300, N - 300);
    await expectExactlyOnce();
  });

  it('stopping the consumer mid-burst and restarting it loses and duplicates nothing', async () => {
    const outbox = new TransactionalOutbox('billing', systemClock);
    const relay = newRelay(underTest.bus);
    outbox.onWrite(() => relay.poke());
    const first = await newConsumer(underTest.bus);
    relay.start();

    await write(outbox, 0, 200);
    await first.stop(); // the handler in flight finishes; later events wait on the bus
    const appliedAtStop = await consumerDb.database.manager.count(TestApplied);
    await write(outbox, 200, 150);
    // Published while the consumer was down, and not applied by anyone.
    await waitFor(async () => (await producer.database.manager.count(OutboxEventEntity, { where: { publishedAt: IsNull() } })) === 0, 20_000, 'relay caught up');
    expect(await consumerDb.database.manager.count(TestApplied)).toBe(appliedAtStop);
    await newConsumer(underTest.bus);
    await write(outbox, 350, N - 350);
    await expectExactlyOnce();
  });

  it('a relay that crashes after publishing (before marking) republishes, and nothing is applied twice', async () => {
    const outbox = new TransactionalOutbox('billing', systemClock);
    const crashing = new CrashAfterPublishBus(underTest.bus, 3);
    const relay = newRelay(crashing);
    outbox.onWrite(() => relay.poke());
    // Also a consumer that "crashes" after committing but before acknowledging: the bus redelivers.
    let deliveries = 0;
    const consumer = new IdempotentConsumer({ database: consumerDb.database, bus: underTest.bus, stream: 'billing', group: 'detailing', handler: recordApplied, logger: silentLogger });
    let redelivered = 0;
    const subscription = await underTest.bus.subscribe('billing', 'detailing', async (event) => {
      const fresh = await consumer.apply(event);
      if (!fresh) redelivered += 1;
      deliveries += 1;
      if (deliveries % 11 === 0 && fresh) throw new Error('consumer crashed before acknowledging');
    });
    relay.start();
    await write(outbox, 0, N);
    try {
      await expectExactlyOnce(async () => {
        await relay.stop();
        await subscription.stop();
      });
    } finally {
      await subscription.stop();
    }
    expect(crashing.calls).toBeGreaterThan(3);
    // The crashes really caused redeliveries, and the inbox skipped every one of them.
    expect(redelivered).toBeGreaterThan(0);
  });
});
