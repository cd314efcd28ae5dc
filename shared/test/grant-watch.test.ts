import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { AccessPolicy, FeedWakeups, GraphQLContext, GrantWatch, ManagedAccessLog, RedisWakeupChannel } from '../src';
import { waitFor } from '../src/testing/wait';
import { subscriberContext } from '../src/testing/context';
import { OpenedDatabase, openEventDatabase, silentLogger, uniquePrefix } from './event-fixtures';

/**
 * terms 4.4: a live subscription that acts on a number through management ends when the grant ends — at once, not
 * at its next event — on whichever replica it runs. Delegation's answer is a grant source the test sets; the feed
 * wake-ups and (between replicas) Redis pub/sub are real.
 */
describe('GrantWatch: the end of a grant ends the subscriptions acting through it', () => {
  let db: OpenedDatabase;
  const stopping: (() => Promise<void>)[] = [];
  const manager = randomUUID();
  const owner = randomUUID();
  /** What delegation would answer: the grants in force. */
  const granted = new Set<string>();
  let questions = 0;
  const policy = new AccessPolicy({
    managedBy: async (managerId, ids) => {
      questions += 1;
      return ids.map((id) => granted.has(`${managerId}:${id}`));
    },
  });

  beforeEach(async () => {
    db = await openEventDatabase('grantwatch');
    granted.clear();
    granted.add(`${manager}:${owner}`);
  });
  afterEach(async () => {
    for (const stop of stopping.splice(0).reverse()) await stop();
    await db.close();
  });

  function replica(channel?: RedisWakeupChannel) {
    const wakeups = new FeedWakeups({ database: db.database, stream: 'billing', safetyPollMs: 600_000, logger: silentLogger, ...(channel ? { channel } : {}) });
    stopping.push(() => wakeups.stop());
    return { wakeups, watch: new GrantWatch(wakeups, policy, silentLogger) };
  }

  /** A subscription's context as the kit builds it on a subgraph's websocket. */
  const subscriptionContext = (subscriberId = manager): GraphQLContext => subscriberContext(subscriberId, { managedAccess: new ManagedAccessLog() });

  /** A feed that yields what the test pushes, and says whether it was told to stop. */
  function source() {
    const queue: number[] = [];
    let waiter: (() => void) | null = null;
    let stopped = false;
    const iterator: AsyncIterator<number> = {
      next: async () => {
        while (!queue.length && !stopped) await new Promise<void>((resolve) => (waiter = resolve));
        return stopped ? { done: true, value: undefined } : { done: false, value: queue.shift()! };
      },
      return: async () => {
        stopped = true;
        waiter?.();
        return { done: true, value: undefined };
      },
    };
    return { iterator, push: (n: number) => (queue.push(n), waiter?.()), stopped: () => stopped };
  }

  const ended = { requesterId: manager, ownerId: owner, previousStatus: 'ACTIVE' };

  it('ends a subscription on a managed number with FORBIDDEN when the grant ends, without waiting for an event', async () => {
    const { watch } = replica();
    const ctx = subscriptionContext();
    await policy.assertMayManage(ctx, owner);
    const feed = source();
    const events = watch.watch(ctx, feed.iterator);
    feed.push(1);
    expect(await events.next()).toEqual({ done: false, value: 1 });
    const pending = events.next();
    granted.clear();
    watch.changed(ended);
    await expect(pending).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(feed.stopped()).toBe(true);
    await expect(events.next()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('goes on when the grant still holds (granted again), for other grants, and for changes that end no grant', async () => {
    const { watch } = replica();
    const ctx = subscriptionContext();
    await policy.assertMayManage(ctx, owner);
    const feed = source();
    const events = watch.watch(ctx, feed.iterator);
    const pending = events.next();
    const asked = questions;
    watch.changed(ended);
    watch.changed({ ...ended, ownerId: randomUUID() });
    watch.changed({ ...ended, previousStatus: 'CONFIRMED' });
    // One question to delegation (the grant's own wake-up), answered yes before the next value is pushed.
    await waitFor(() => questions > asked || undefined, 5000, 'the question to delegation');
    await new Promise((resolve) => setImmediate(resolve));
    expect(questions).toBe(asked + 1);
    feed.push(2);
    expect(await pending).toEqual({ done: false, value: 2 });
    expect(feed.stopped()).toBe(false);
    await events.return?.();
    expect(feed.stopped()).toBe(true);
  });

  it('leaves an own-number subscription alone, and follows nothing once ended', async () => {
    const { watch, wakeups } = replica();
    const own = subscriptionContext();
    await policy.assertMayManage(own, manager);
    const feed = source();
    const events = watch.watch(own, feed.iterator);
    expect(wakeups.followerCount).toBe(0);
    feed.push(3);
    expect(await events.next()).toEqual({ done: false, value: 3 });

    const managed = subscriptionContext();
    await policy.assertMayManage(managed, owner);
    const watched = watch.watch(managed, source().iterator);
    expect(wakeups.followerCount).toBe(1);
    await watched.return?.();
    expect(wakeups.followerCount).toBe(0);
  });

  it('reaches the subscription on another replica over Redis pub/sub', async () => {
    const url = 'redis://127.0.0.1:6379';
    const redis = new Redis(url);
    stopping.push(async () => void redis.disconnect());
    const prefix = uniquePrefix();
    const channel = () => new RedisWakeupChannel({ url, publisher: redis, keyPrefix: prefix, service: 'billing', logger: silentLogger });
    const consuming = replica(channel());
    const serving = replica(channel());
    await consuming.wakeups.start();
    await serving.wakeups.start();
    await waitFor(async () => (await redis.pubsub('NUMSUB', `${prefix}selfcare:feeds:billing`))[1] === 2 || undefined, 10_000, 'both replicas subscribed');

    const ctx = subscriptionContext();
    await policy.assertMayManage(ctx, owner);
    const feed = source();
    const pending = serving.watch.watch(ctx, feed.iterator).next();
    granted.clear();
    // The replica whose consumer took delegation's event is not the one serving the subscription.
    consuming.watch.changed(ended);
    await expect(pending).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(feed.stopped()).toBe(true);
  });
});

describe('AccessPolicy: grant questions of one turn of the event loop', () => {
  it('go to delegation as one question per manager, whichever requests ask them, and each gets its own answer', async () => {
    const manager = randomUUID();
    const notGranted = randomUUID();
    const asked: { managerId: string; ids: readonly string[] }[] = [];
    const policy = new AccessPolicy({
      managedBy: async (managerId, ids) => {
        asked.push({ managerId, ids });
        return ids.map((id) => id !== notGranted);
      },
    });
    const context = (subscriberId: string) => subscriberContext(subscriberId);
    const owners = [randomUUID(), randomUUID(), randomUUID()];
    const other = randomUUID();
    // Five requests (fresh contexts) in the same turn: three of one manager, one of another, one refused.
    const answers = await Promise.allSettled([
      policy.assertMayManage(context(manager), owners[0]!),
      policy.assertMayManage(context(manager), owners[1]!),
      policy.filterManageable(context(manager), [owners[2]!, notGranted]),
      policy.assertMayManage(context(other), owners[0]!),
      policy.assertMayManage(context(manager), notGranted),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect((answers[2] as PromiseFulfilledResult<{ subscriberId: string }[]>).value.map((a) => a.subscriberId)).toEqual([owners[2]]);
    expect(asked.map((a) => a.managerId).sort()).toEqual([manager, other].sort());
    expect(asked.find((a) => a.managerId === manager)!.ids).toEqual(expect.arrayContaining([owners[0], owners[1], owners[2], notGranted]));
    // The next turn asks again: nothing is remembered.
    await policy.assertMayManage(context(manager), owners[0]!);
    expect(asked).toHaveLength(3);
  });
});
