import { EntityManager, MoreThan } from 'typeorm';
import type { Database } from '../db/database';
import type { Logger } from '../logging/logger';
import { OutboxEventEntity, WrittenEvent } from './outbox';

/**
 * How the other replicas of a service hear of a write (distributed mode: Redis pub/sub). Best effort: a message
 * lost on the way is made up for by the safety poll.
 */
export interface WakeupChannel {
  publish(keys: string[]): Promise<void>;
  /** `keys` for what another replica wrote; `gap` when messages may have been missed (a reconnect). */
  listen(handlers: { keys(keys: string[]): void; gap(): void }): Promise<void>;
  close(): Promise<void>;
}

/** What a live feed needs of the wake-ups: to be called when something it follows may have changed. */
export interface FeedWaker {
  follow(key: string, wake: () => void): () => void;
}

export interface FeedWakeupsOptions {
  database: Database;
  /** The service's outbox stream (its name). */
  stream: string;
  /** The shared safety poll: one outbox read per tick for all feeds of the process, only while something is followed. */
  safetyPollMs: number;
  channel?: WakeupChannel;
  logger: Logger;
  /** Outbox rows read per safety-poll statement. */
  batchSize?: number;
  /**
   * Events woken here at commit that the safety poll passes over, at most (default 20,000: twenty seconds of backlog
   * at 1,000 postings a second). Past it the oldest are forgotten and the poll wakes them once more, which is harmless.
   */
  rememberAtMost?: number;
}

/** An event as the outbox holds it: its payload comes back from the database as the JSON it was stored as. */
const fingerprint = (event: { type: string; payload: Record<string, unknown> }) => `${event.type}\u0000${JSON.stringify(event.payload ?? {})}`;

/**
 * Wakes a service's live feeds when what they follow (an account, a subscriber — a key) was written, instead of
 * every feed polling the database. The outbox tells it after each commit what was written; an event type maps to
 * keys (`wakeOn`); followers of those keys are called at once, and the keys go to the other replicas over the
 * channel. One slow safety poll per service reads the outbox after the highest publish sequence it has seen and
 * wakes the keys of what it finds, so a lost channel message delays a feed by at most one tick.
 *
 * The safety poll reads by `publish_seq`, not by id: the relay assigns it to committed rows in order, so the poll
 * never skips a row that committed late (ids are handed out at insert, not at commit).
 */
export class FeedWakeups implements FeedWaker {
  private readonly followers = new Map<string, Set<() => void>>();
  private readonly keyMakers = new Map<string, (payload: Record<string, unknown>) => string[]>();
  private followed = 0;
  /** Highest publish_seq the safety poll has seen; null until the first round after something is followed. */
  private watermark: number | null = null;
  private timer?: NodeJS.Timeout;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly batchSize: number;
  /**
   * Events this process committed and woke its followers for at commit (type and payload): the safety poll finds
   * each of them again a moment later and would wake the same feeds for nothing — one read per posting at 1,000
   * postings a second (bench/subscriptions.js). The poll passes them over and forgets them; bounded. Counted, so two
   * equal events (one of another replica's among them) are passed over only as often as this process wrote one.
   */
  private readonly wokenHere = new Map<string, number>();
  private readonly rememberAtMost: number;
  /** Safety-poll rounds finished so far (metrics, tests). */
  pollRounds = 0;
  /** Events the safety poll found that this process had already woken its followers for (metrics, tests). */
  passedOver = 0;

  constructor(private readonly options: FeedWakeupsOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.rememberAtMost = options.rememberAtMost ?? 20_000;
  }

  /** Events of `type` wake the feeds following the keys `keysOf` names for them. */
  wakeOn(type: string, keysOf: (payload: Record<string, unknown>) => string[]): void {
    this.keyMakers.set(type, keysOf);
  }

  follow(key: string, wake: () => void): () => void {
    let set = this.followers.get(key);
    if (!set) {
      set = new Set();
      this.followers.set(key, set);
    }
    const own = () => wake();
    set.add(own);
    this.followed += 1;
    if (this.followed === 1) this.schedule(0);
    let following = true;
    return () => {
      if (!following) return;
      following = false;
      this.followed -= 1;
      const current = this.followers.get(key);
      current?.delete(own);
      if (current?.size === 0) this.followers.delete(key);
      if (this.followed === 0) {
        // Nothing to poll for: start from the then-current position when something is followed again.
        this.unschedule();
        this.watermark = null;
        this.wokenHere.clear();
      }
    };
  }

  /** Feeds following now (metrics, tests). */
  get followerCount(): number {
    return this.followed;
  }

  /** The outbox's after-commit hook: wake local followers, tell the other replicas. */
  written(events: WrittenEvent[]): void {
    const keys = this.keysOf(events);
    if (keys.length === 0) return;
    this.wake(keys);
    // Only while the poll runs (something is followed): otherwise nothing would ever take them out again.
    if (this.followed > 0) {
      for (const event of events) {
        if (!this.keyMakers.has(event.type)) continue;
        const key = fingerprint(event);
        this.wokenHere.set(key, (this.wokenHere.get(key) ?? 0) + 1);
      }
      for (const [oldest] of this.wokenHere) {
        if (this.wokenHere.size <= this.rememberAtMost) break;
        this.wokenHere.delete(oldest);
      }
    }
    this.options.channel?.publish(keys).catch((error) => this.options.logger.warn({ err: error }, 'telling other replicas of a write failed; their safety poll covers it'));
  }

  /** Wakes this process's followers of `keys`. */
  wake(keys: Iterable<string>): void {
    for (const key of keys) {
      const set = this.followers.get(key);
      if (!set) continue;
      for (const wake of [...set]) {
        try {
          wake();
        } catch (error) {
          this.options.logger.warn({ err: error, key }, 'a feed failed to take its wake-up');
        }
      }
    }
  }

  async start(): Promise<void> {
    await this.options.channel?.listen({
      keys: (keys) => this.wake(keys),
      // Messages may have been lost while the channel was down: look at the outbox now, not at the next tick.
      gap: () => {
        if (this.followed > 0) this.schedule(0);
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unschedule();
    await this.round.catch(() => undefined);
    await this.options.channel?.close();
  }

  /** One safety-poll round (the timer runs it; tests call it to drive the poll). */
  pollOnce(): Promise<void> {
    const next = this.round
      .catch(() => undefined)
      .then(() => this.poll())
      .finally(() => void (this.pollRounds += 1));
    this.round = next;
    return next;
  }

  private keysOf(events: { type: string; payload: Record<string, unknown> }[]): string[] {
    const keys = new Set<string>();
    for (const event of events) {
      const keysOf = this.keyMakers.get(event.type);
      if (!keysOf) continue;
      try {
        for (const key of keysOf(event.payload ?? {})) keys.add(key);
      } catch (error) {
        this.options.logger.warn({ err: error, type: event.type }, 'could not tell which feeds an event wakes');
      }
    }
    return [...keys];
  }

  private async poll(): Promise<void> {
    const { database, stream } = this.options;
    // On SQLite every transaction shares one connection: queued behind the writers as a transaction, the read never
    // sees a row that may still roll back. MariaDB's READ COMMITTED reads see committed rows only anyway.
    const read = <T>(work: (manager: EntityManager) => Promise<T>) => (database.dialect === 'sqlite' ? database.transaction(work) : work(database.manager));
    await read(async (manager) => {
      if (this.watermark === null) {
        const top = await manager
          .createQueryBuilder(OutboxEventEntity, 'o')
          .select('MAX(o.publish_seq)', 'top')
          .where('o.stream = :stream', { stream })
          .getRawOne<{ top: string | number | null }>();
        this.watermark = Number(top?.top ?? 0);
        // What was sequenced before this read is in what the feeds read when they started — except a write on another
        // replica whose channel message was lost in between: one more look for every feed following now.
        if (this.options.channel) this.wake([...this.followers.keys()]);
        return;
      }
      let after = this.watermark;
      for (;;) {
        const rows = await manager.find(OutboxEventEntity, {
          select: { publishSeq: true, type: true, payload: true },
          where: { stream, publishSeq: MoreThan(after) },
          order: { publishSeq: 'ASC' },
          take: this.batchSize,
        });
        if (rows.length === 0) return;
        after = Number(rows[rows.length - 1]!.publishSeq);
        this.watermark = after;
        const notWoken = this.wokenHere.size === 0 ? rows : rows.filter((row) => !this.forget(fingerprint(row)));
        this.passedOver += rows.length - notWoken.length;
        this.wake(this.keysOf(notWoken));
        if (rows.length < this.batchSize) return;
      }
    });
  }

  /** Takes one event written here off the list; false when it was not on it (another replica's, or forgotten). */
  private forget(key: string): boolean {
    const count = this.wokenHere.get(key);
    if (count === undefined) return false;
    if (count > 1) this.wokenHere.set(key, count - 1);
    else this.wokenHere.delete(key);
    return true;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pollOnce()
        .catch((error) => this.options.logger.warn({ err: error, stream: this.options.stream }, 'feed safety poll failed; retrying at the next tick'))
        .then(() => {
          if (this.followed > 0 && !this.timer) this.schedule(this.options.safetyPollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private unschedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
