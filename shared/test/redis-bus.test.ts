import Redis from 'ioredis';
import { DomainEvent, RedisStreamsEventBus } from '../src';
import { waitFor } from '../src/testing/wait';
import { uniquePrefix } from './event-fixtures';

const REDIS_URL = 'redis://127.0.0.1:6379';
const b0 = (b: RedisStreamsEventBus) => b.key('billing');
const event = (id: number, type = 'DebtSettled'): DomainEvent => ({
  stream: 'billing',
  id,
  type,
  payload: { amountMinor: id * 100 },
  occurredAt: new Date(1_700_000_000_000 + id).toISOString(),
});

describe('RedisStreamsEventBus (real Redis)', () => {
  let prefix: string;
  let redis: Redis;
  const buses: RedisStreamsEventBus[] = [];
  const bus = (options: { consumerName?: string; blockMs?: number } = {}) => {
    const b = new RedisStreamsEventBus(REDIS_URL, { keyPrefix: prefix, blockMs: 200, retryBaseMs: 20, ...options });
    buses.push(b);
    return b;
  };

  beforeEach(() => {
    prefix = uniquePrefix();
    redis = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    for (const b of buses.splice(0)) await b.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('XADDs each event under its own id to selfcare:events:<stream>; republishing an id is a no-op', async () => {
    const b = bus();
    await b.publish('billing', [event(2), event(1)]);
    await b.publish('billing', [event(1), event(2)]);
    await b.publish('billing', [event(2), event(3)]);
    const key = `${prefix}selfcare:events:billing`;
    expect(b.key('billing')).toBe(key);
    const entries = await redis.xrange(key, '-', '+');
    expect(entries.map(([id]) => id)).toEqual(['1-0', '2-0', '3-0']);
    const stored = JSON.parse(entries[2]![1][3]!) as DomainEvent;
    expect(stored).toMatchObject({ stream: 'billing', id: 3, type: 'DebtSettled', payload: { amountMinor: 300 } });
  });

  it('refuses a different event under an id the stream already holds (producer numbering restarted)', async () => {
    const b = bus();
    await b.publish('billing', [event(1), event(2)]);
    await expect(b.publish('billing', [{ ...event(2), type: 'PaymentReceived', occurredAt: new Date().toISOString() }])).rejects.toThrow(
      /already holds a different event under id 2.*reset/,
    );
    // The same event again is fine, and the stream is unchanged.
    await b.publish('billing', [event(2)]);
    expect(await redis.xlen(b.key('billing'))).toBe(2);
  });

  it('delivers to each group once, in order, and acknowledges after the handler', async () => {
    const b = bus();
    await b.publish('billing', [event(1), event(2)]);
    const detailing: number[] = [];
    const delegation: DomainEvent[] = [];
    await b.subscribe('billing', 'detailing', async (e) => {
      detailing.push(e.id);
    });
    await b.subscribe('billing', 'delegation', async (e) => {
      delegation.push(e);
    });
    await b.publish('billing', [event(3)]);
    await waitFor(() => detailing.length === 3 && delegation.length === 3, 5_000);
    expect(detailing).toEqual([1, 2, 3]);
    expect(delegation.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(delegation[0]).toEqual(event(1));
    await waitFor(async () => (await redis.xpending(b.key('billing'), 'detailing'))[0] === 0, 5_000, 'acks');
  });

  it('keeps a failed entry pending and re-reads it first after a restart', async () => {
    const b = bus({ consumerName: 'detailing-1' });
    await b.publish('billing', [event(1), event(2), event(3)]);
    const seen: number[] = [];
    const failing = await b.subscribe('billing', 'detailing', async (e) => {
      if (e.id === 2) throw new Error('database unavailable');
      seen.push(e.id);
    });
    await waitFor(async () => seen.length === 1, 5_000);
    await failing.stop();
    expect(seen).toEqual([1]);
    // 2 (and 3, read in the same batch) were delivered but never acknowledged.
    const [pendingCount] = (await redis.xpending(b.key('billing'), 'detailing')) as [number];
    expect(pendingCount).toBeGreaterThanOrEqual(1);

    const restarted = bus({ consumerName: 'detailing-1' });
    await restarted.subscribe('billing', 'detailing', async (e) => {
      seen.push(e.id);
    });
    await waitFor(() => seen.length === 3, 5_000);
    expect(seen).toEqual([1, 2, 3]);
    await waitFor(async () => (await redis.xpending(b.key('billing'), 'detailing'))[0] === 0, 5_000, 'acks');
  });

  it('takes over entries a vanished consumer of the group left pending', async () => {
    const crashed = bus({ consumerName: 'detailing-crashed' });
    await crashed.publish('billing', [event(1), event(2)]);
    const gone = await crashed.subscribe('billing', 'detailing', async () => {
      throw new Error('this replica is about to die');
    });
    await waitFor(async () => (await redis.xpending(b0(crashed), 'detailing'))[0] === 2, 5_000, 'entries pending on the dead consumer');
    await gone.stop();

    const survivor = new RedisStreamsEventBus(REDIS_URL, { keyPrefix: prefix, consumerName: 'detailing-2', blockMs: 100, claimIdleMs: 200 });
    buses.push(survivor);
    const seen: number[] = [];
    await survivor.subscribe('billing', 'detailing', async (e) => {
      seen.push(e.id);
    });
    await waitFor(() => seen.length === 2, 10_000, 'claimed entries');
    expect(seen).toEqual([1, 2]);
    await waitFor(async () => (await redis.xpending(b0(crashed), 'detailing'))[0] === 0, 5_000, 'acks');
  });

  it('acknowledges and skips an entry it cannot read instead of retrying it forever', async () => {
    const b = bus();
    await redis.xadd(b.key('billing'), '5-0', 'event', 'not json');
    await b.publish('billing', [event(6)]);
    const seen: number[] = [];
    await b.subscribe('billing', 'detailing', async (e) => {
      seen.push(e.id);
    });
    await waitFor(() => seen.length === 1, 5_000);
    expect(seen).toEqual([6]);
    await waitFor(async () => (await redis.xpending(b.key('billing'), 'detailing'))[0] === 0, 5_000, 'acks');
  });

  it('stop() ends a blocking read at once', async () => {
    // A block far longer than the test may take: stop() returns only if it ends the read.
    const b = bus({ blockMs: 600_000 });
    const subscription = await b.subscribe('billing', 'detailing', async () => undefined);
    const name = `selfcare:detailing:${b.key('billing')}`;
    const reading = async () => String(await redis.client('LIST')).split('\n').find((line) => line.includes(` name=${name} `));
    await waitFor(async () => / flags=b /.test((await reading()) ?? '') && / cmd=xreadgroup /.test((await reading()) ?? ''), 5_000, 'the blocked XREADGROUP');
    await subscription.stop();
    expect(await reading()).toBeUndefined();
  }, 20_000);

  it('lets the handler in flight finish and acknowledges it when stopped mid-event', async () => {
    const b = bus();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handled: number[] = [];
    const subscription = await b.subscribe('billing', 'detailing', async (e) => {
      await gate;
      handled.push(e.id);
    });
    await b.publish('billing', [event(1)]);
    await waitFor(async () => (await redis.xpending(b.key('billing'), 'detailing'))[0] === 1, 5_000, 'delivery');
    const stopping = subscription.stop();
    release();
    await stopping;
    expect(handled).toEqual([1]);
    expect((await redis.xpending(b.key('billing'), 'detailing'))[0]).toBe(0);
  });

  it('pings Redis, and fails ping fast when Redis is unreachable', async () => {
    await bus().ping();
    const dead = new RedisStreamsEventBus('redis://127.0.0.1:1', { keyPrefix: prefix });
    // Refused or timed out by ping's own 2 s limit; either way it answers instead of waiting for a reconnect.
    await expect(dead.ping()).rejects.toThrow();
    await dead.close();
  }, 10_000);
});
