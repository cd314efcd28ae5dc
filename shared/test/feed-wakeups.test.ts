import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import {
  FeedWakeups,
  InProcessEventBus,
  NotificationDispatcher,
  OutboxRelay,
  RedisWakeupChannel,
  TransactionalOutbox,
  systemClock,
} from '../src';
import { waitFor } from '../src/testing/wait';
import { OpenedDatabase, metrics, openEventDatabase, silentLogger, uniquePrefix } from './event-fixtures';

const noTransport = { send: async () => { throw new Error('no notifications in this test'); } };

/**
 * Feed wake-ups on a real database: after-commit pokes in the writing process, the safety poll on the outbox
 * for writes whose poke never came, and Redis pub/sub between two replicas of one service.
 */
describe('feed wake-ups', () => {
  let db: OpenedDatabase;
  let relay: OutboxRelay;
  const stopping: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    db = await openEventDatabase('feeds');
    relay = new OutboxRelay({
      database: db.database,
      bus: new InProcessEventBus(),
      stream: 'billing',
      dispatcher: new NotificationDispatcher(noTransport, noTransport, silentLogger),
      logger: silentLogger,
      metrics: metrics(),
      pollIntervalMs: 60_000,
    });
  });
  afterEach(async () => {
    for (const stop of stopping.splice(0).reverse()) await stop();
    await relay.stop();
    await db.close();
  });

  /** A replica's wake-ups (BalanceChanged wakes `account:<accountId>`), its outbox telling it of commits. */
  function replica(options: { channel?: RedisWakeupChannel; safetyPollMs?: number; rememberAtMost?: number } = {}) {
    const wakeups = new FeedWakeups({
      database: db.database,
      stream: 'billing',
      safetyPollMs: options.safetyPollMs ?? 600_000,
      logger: silentLogger,
      ...(options.channel ? { channel: options.channel } : {}),
      ...(options.rememberAtMost ? { rememberAtMost: options.rememberAtMost } : {}),
    });
    wakeups.wakeOn('BalanceChanged', (payload) => [`account:${String(payload.accountId)}`]);
    const outbox = new TransactionalOutbox('billing', systemClock);
    outbox.onWrite((written) => wakeups.written(written));
    stopping.push(() => wakeups.stop());
    return { wakeups, outbox };
  }

  const write = (outbox: TransactionalOutbox, accountId: string) => db.database.transaction((manager) => outbox.add(manager, 'BalanceChanged', { accountId }));

  it('wakes the followers of what a transaction wrote once it commits — not before, not for a rollback, not other keys', async () => {
    const { wakeups, outbox } = replica();
    const woken: string[] = [];
    wakeups.follow('account:a', () => woken.push('a'));
    wakeups.follow('account:b', () => woken.push('b'));
    await db.database.transaction(async (manager) => {
      await outbox.add(manager, 'BalanceChanged', { accountId: 'a' });
      await outbox.add(manager, 'SomethingElse', { accountId: 'b' });
      expect(woken).toEqual([]);
    });
    expect(woken).toEqual(['a']);
    await expect(
      db.database.transaction(async (manager) => {
        await outbox.add(manager, 'BalanceChanged', { accountId: 'b' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(woken).toEqual(['a']);
  });

  it('stops calling a follower once it unfollowed (unfollowing twice is harmless)', async () => {
    const { wakeups, outbox } = replica();
    const woken: string[] = [];
    const unfollow = wakeups.follow('account:a', () => woken.push('a'));
    await write(outbox, 'a');
    unfollow();
    unfollow();
    await write(outbox, 'a');
    expect(woken).toEqual(['a']);
    expect(wakeups.followerCount).toBe(0);
  });

  it('finds a write whose wake-up never came at the next safety-poll round: one statement per round, idle or not', async () => {
    // The writer is another replica with no channel: nothing tells this one.
    const writer = replica();
    const { wakeups } = replica();
    const woken: string[] = [];
    wakeups.follow('account:a', () => woken.push('a'));
    // The first round (due at once when something is followed) takes the current position.
    await waitFor(() => wakeups.pollRounds > 0 || undefined, 10_000, 'the first round');
    const counter = db.database.counter;
    let before = counter.count;
    await wakeups.pollOnce();
    expect(counter.count - before).toBe(1);
    expect(woken).toEqual([]);

    await write(writer.outbox, 'a');
    await write(writer.outbox, 'b');
    // The relay gives committed rows their publish sequence; the poll reads by it.
    await relay.drainOnce();
    before = counter.count;
    await wakeups.pollOnce();
    expect(counter.count - before).toBe(1);
    expect(woken).toEqual(['a']);
    // Each row is found once.
    await wakeups.pollOnce();
    expect(woken).toEqual(['a']);
  });

  it("does not wake again at the poll for what it woke at commit itself, but still for another replica's equal write", async () => {
    const writer = replica();
    const { wakeups, outbox } = replica();
    const woken: string[] = [];
    wakeups.follow('account:a', () => woken.push('a'));
    wakeups.follow('account:b', () => woken.push('b'));
    await waitFor(() => wakeups.pollRounds > 0 || undefined, 10_000, 'the first round');

    await write(outbox, 'a');
    await write(outbox, 'b');
    expect(woken).toEqual(['a', 'b']);
    // Another replica writes exactly what this one wrote: its wake-up never came here, so the poll must give it.
    await write(writer.outbox, 'a');
    await relay.drainOnce();
    await wakeups.pollOnce();
    expect(woken).toEqual(['a', 'b', 'a']);
    expect(wakeups.passedOver).toBe(2);
    // Nothing stays remembered once the poll has found it: the next equal write of another replica wakes too.
    await write(writer.outbox, 'b');
    await relay.drainOnce();
    await wakeups.pollOnce();
    expect(woken).toEqual(['a', 'b', 'a', 'b']);
    expect(wakeups.passedOver).toBe(2);
  });

  it('remembers a bounded number of its own wake-ups: past the bound the poll wakes the oldest once more', async () => {
    const { wakeups, outbox } = replica({ rememberAtMost: 2 });
    const woken: string[] = [];
    for (const id of ['a', 'b', 'c']) wakeups.follow(`account:${id}`, () => woken.push(id));
    await waitFor(() => wakeups.pollRounds > 0 || undefined, 10_000, 'the first round');
    for (const id of ['a', 'b', 'c']) await write(outbox, id);
    expect(woken).toEqual(['a', 'b', 'c']);
    await relay.drainOnce();
    await wakeups.pollOnce();
    expect(woken).toEqual(['a', 'b', 'c', 'a']);
    expect(wakeups.passedOver).toBe(2);
  });

  it('reads a backlog larger than one page in several statements of the same round', async () => {
    const writer = replica();
    const wakeups = new FeedWakeups({ database: db.database, stream: 'billing', safetyPollMs: 600_000, logger: silentLogger, batchSize: 2 });
    stopping.push(() => wakeups.stop());
    wakeups.wakeOn('BalanceChanged', (payload) => [`account:${String(payload.accountId)}`]);
    const woken = new Set<string>();
    for (const id of ['a', 'b', 'c', 'd', 'e']) wakeups.follow(`account:${id}`, () => woken.add(id));
    await waitFor(() => wakeups.pollRounds > 0 || undefined, 10_000, 'the first round');
    for (const id of ['a', 'b', 'c', 'd', 'e']) await write(writer.outbox, id);
    await relay.drainOnce();
    await wakeups.pollOnce();
    expect([...woken].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  describe('between replicas over Redis pub/sub', () => {
    const url = 'redis://127.0.0.1:6379';
    let redis: Redis;
    let prefix: string;
    beforeEach(() => {
      redis = new Redis(url);
      prefix = uniquePrefix();
    });
    afterEach(() => void redis.disconnect());

    const channel = () => new RedisWakeupChannel({ url, publisher: redis, keyPrefix: prefix, service: 'billing', logger: silentLogger });

    it("wakes the other replica's followers at once (no safety poll), its own once, and ignores malformed messages", async () => {
      const a = replica({ channel: channel() });
      const b = replica({ channel: channel() });
      await a.wakeups.start();
      await b.wakeups.start();
      const woken: string[] = [];
      a.wakeups.follow('account:x', () => woken.push('a'));
      b.wakeups.follow('account:x', () => woken.push('b'));
      // The first round takes the current position, and with a channel gives every follower one more look.
      await waitFor(() => (a.wakeups.pollRounds > 0 && b.wakeups.pollRounds > 0) || undefined, 10_000, 'the first rounds');
      woken.length = 0;
      // Subscribed once a message gets through.
      await waitFor(async () => {
        await redis.publish(`${prefix}selfcare:feeds:billing`, JSON.stringify({ from: 'probe', keys: ['account:probe'] }));
        return (await redis.pubsub('NUMSUB', `${prefix}selfcare:feeds:billing`))[1] === 2 || undefined;
      }, 10_000, 'both replicas subscribed');
      await redis.publish(`${prefix}selfcare:feeds:billing`, 'not json');
      await redis.publish(`${prefix}selfcare:feeds:billing`, JSON.stringify({ from: 'someone', keys: 'account:x' }));
      await write(a.outbox, 'x');
      await waitFor(() => woken.includes('b') || undefined, 10_000, "the other replica's follower");
      expect(woken.sort()).toEqual(['a', 'b']);
    });

    it('looks at the outbox at once when its channel connection comes back (messages may have been lost)', async () => {
      const listening = channel();
      const b = replica({ channel: listening });
      await b.wakeups.start();
      const writer = replica(); // no channel: its writes reach b only through the outbox
      const woken: string[] = [];
      b.wakeups.follow('account:y', () => woken.push('y'));
      await waitFor(() => b.wakeups.pollRounds > 0 || undefined, 10_000, 'the first round');
      woken.length = 0;
      await write(writer.outbox, 'y');
      await relay.drainOnce();
      const name = `${prefix}selfcare:feeds:billing`;
      const client = await waitFor(async () => String(await redis.client('LIST')).split('\n').find((line) => line.includes(`name=${name}`)), 10_000, 'the channel connection');
      await redis.client('KILL', 'ID', /id=(\d+)/.exec(client)![1]!);
      await waitFor(() => woken.includes('y') || undefined, 10_000, 'the poll after reconnecting');
    });
  });

  it('survives a key maker that throws: the commit stands, nobody is woken', async () => {
    const { wakeups, outbox } = replica();
    wakeups.wakeOn('Broken', () => {
      throw new Error('bad payload');
    });
    const woken: string[] = [];
    wakeups.follow(`account:${randomUUID()}`, () => woken.push('x'));
    await db.database.transaction((manager) => outbox.add(manager, 'Broken', {}));
    expect(woken).toEqual([]);
  });
});
