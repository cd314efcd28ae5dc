import Redis from 'ioredis';
import { DomainEvent, NotificationDispatcher, OutboxEventEntity, OutboxRelay, RedisStreamsEventBus, ServiceMetrics, TransactionalOutbox, systemClock } from '../src';
import { usingMariaDb } from '../src/testing/databases';
import { waitFor } from '../src/testing/wait';
import { OpenedDatabase, openEventDatabase, silentLogger, uniquePrefix } from './event-fixtures';

const REDIS_URL = 'redis://127.0.0.1:6379';
const noTransport = { send: async () => { throw new Error('no notifications in this test'); } };

/**
 * Auto-increment ids follow insert order, commits do not. If the bus id were the outbox row id, a transaction that
 * inserted first but committed last would carry an id below one Redis already holds — and be dropped as a "duplicate".
 * The relay numbers events as it sees them committed, so both arrive.
 */
describe('events committed out of insert order (Redis Streams)', () => {
  let db: OpenedDatabase;
  let bus: RedisStreamsEventBus;
  let prefix: string;

  beforeEach(async () => {
    db = await openEventDatabase('order');
    prefix = uniquePrefix();
    bus = new RedisStreamsEventBus(REDIS_URL, { keyPrefix: prefix, blockMs: 200 });
  });

  afterEach(async () => {
    await bus.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await db.close();
  });

  it('publishes every committed event once, numbered in the order the relay saw them commit', async () => {
    const outbox = new TransactionalOutbox('billing', systemClock);
    const relay = new OutboxRelay({
      database: db.database,
      bus,
      stream: 'billing',
      dispatcher: new NotificationDispatcher(noTransport, noTransport, silentLogger),
      logger: silentLogger,
      metrics: new ServiceMetrics('billing'),
      pollIntervalMs: 60_000,
    });
    const received: DomainEvent[] = [];
    const subscription = await bus.subscribe('billing', 'detailing', async (event) => {
      received.push(event);
    });

    let releaseSlow!: () => void;
    const slowMayCommit = new Promise<void>((resolve) => (releaseSlow = resolve));
    let slowInserted!: () => void;
    const slowHasInserted = new Promise<void>((resolve) => (slowInserted = resolve));
    const slow = db.database.transaction(async (manager) => {
      await outbox.add(manager, 'ChargeApplied', { name: 'slow' });
      slowInserted();
      await slowMayCommit;
    });
    await slowHasInserted;
    const committed: string[] = [];
    void slow.then(() => committed.push('slow'));
    const fast = db.database.transaction((manager) => outbox.add(manager, 'ChargeApplied', { name: 'fast' })).then(() => void committed.push('fast'));
    // A relay round while "slow" is open: on MariaDB both transactions run at once, so "fast" commits and a round
    // then publishes it while "slow" is still open; SQLite queues "fast" and the round behind "slow" (one connection).
    let roundWhileOpen: Promise<unknown>;
    if (usingMariaDb()) {
      await fast;
      roundWhileOpen = relay.drainOnce();
      expect(await roundWhileOpen).toMatchObject({ published: 1 });
    } else roundWhileOpen = relay.drainOnce();
    releaseSlow();
    await Promise.all([slow, fast, roundWhileOpen]);
    await relay.drainOnce();

    await waitFor(() => received.length === 2, 5_000, 'two events');
    await subscription.stop();
    // The bus ids follow the order the transactions committed in, whichever that was.
    expect(committed).toEqual(usingMariaDb() ? ['fast', 'slow'] : ['slow', 'fast']);
    expect(received.map((e) => [e.id, e.payload.name])).toEqual([
      [1, committed[0]],
      [2, committed[1]],
    ]);
    // The row ids are in insert order ("slow" first) either way; the bus ids follow commit order.
    const rows = await db.database.manager.find(OutboxEventEntity, { order: { id: 'ASC' } });
    expect(rows.map((r) => [r.payload.name, Number(r.publishSeq)])).toEqual(usingMariaDb() ? [['slow', 2], ['fast', 1]] : [['slow', 1], ['fast', 2]]);
    const redis = new Redis(REDIS_URL);
    expect(await redis.xlen(bus.key('billing'))).toBe(2);
    await redis.quit();
  });
});
