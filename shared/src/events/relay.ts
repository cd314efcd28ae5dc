import { In, IsNull, Like, Not } from 'typeorm';
import type { Counter } from 'prom-client';
import type { Database } from '../db/database';
import type { Logger } from '../logging/logger';
import type { ServiceMetrics } from '../metrics/metrics';
import { Clock, systemClock } from '../service/clock';
import { NOTIFICATION_TYPE_PREFIX, OutboxEventEntity } from './outbox';
import type { DomainEvent, EventBus } from './types';

/** What the relay hands notification rows to (NotificationDispatcher in production). */
export interface OutboxDispatcher {
  dispatch(event: DomainEvent): Promise<void>;
}

export interface OutboxRelayOptions {
  database: Database;
  bus: EventBus;
  /** The stream this service publishes (its name). */
  stream: string;
  dispatcher: OutboxDispatcher;
  logger: Logger;
  metrics: ServiceMetrics;
  /** Poll interval when nobody pokes the relay (a poke follows every committed outbox write). */
  pollIntervalMs: number;
  batchSize?: number;
  /** First retry delay after a failed delivery; doubles per attempt up to `maxRetryDelayMs`. */
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  /** A notification is given up after this many failed attempts (bus events are retried forever: order matters). */
  maxNotificationAttempts?: number;
  /** Notifications sent in parallel. */
  dispatchConcurrency?: number;
  /** A bus publish that has not answered by then counts as failed (and is retried), so a hung bus can't stall the relay. */
  publishTimeoutMs?: number;
  /** Published rows older than this are deleted (default 7 days; 0 keeps them). */
  retentionMs?: number;
  clock?: Clock;
}

export interface DrainResult {
  published: number;
  dispatched: number;
  failed: number;
}

/**
 * Moves committed outbox rows out: events to the bus (in order, at least once), notifications to the
 * dispatcher (each on its own, at least once). A row is marked published only after the bus or the
 * dispatcher accepted it; failures back off per row (attempts, next_attempt_at) and never stall the other kind.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly maxNotificationAttempts: number;
  private readonly concurrency: number;
  private readonly retentionMs: number;
  private readonly clock: Clock;
  private readonly publishedCounter: Counter<'stream' | 'kind'>;
  private readonly failedCounter: Counter<'stream' | 'kind'>;
  private readonly abandonedCounter: Counter<'stream'>;
  private running = false;
  private timer?: NodeJS.Timeout;
  /** The round in flight; rounds never overlap. */
  private current: Promise<DrainResult | void> = Promise.resolve();
  private pokedDuringRound = false;
  /** A poke no round has served yet (its round is scheduled, or comes right after the one in flight). */
  private pokePending = false;
  private roundActive = false;
  private lastCleanup = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.retryBaseMs = options.retryBaseMs ?? 1_000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 5 * 60_000;
    this.maxNotificationAttempts = options.maxNotificationAttempts ?? 15;
    this.concurrency = options.dispatchConcurrency ?? 4;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
    this.clock = options.clock ?? systemClock;
    this.publishedCounter = counter(options.metrics, 'outbox_published_total', 'Outbox rows delivered (kind: event, notification)', ['stream', 'kind']);
    this.failedCounter = counter(options.metrics, 'outbox_failed_total', 'Failed outbox delivery attempts (retried with backoff)', ['stream', 'kind']);
    this.abandonedCounter = counter(options.metrics, 'outbox_abandoned_total', 'Notifications given up after too many attempts', ['stream']);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Asks for a round now (after an outbox write committed). */
  poke(): void {
    if (!this.running) return;
    this.pokePending = true;
    if (this.roundActive) {
      this.pokedDuringRound = true;
      return;
    }
    this.schedule(0);
  }

  /** Finishes the batch in flight, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current.catch(() => undefined);
  }

  /**
   * Resolves once every poke so far has been served by a finished round, at once when the relay is stopped: what a
   * committed write would make the relay do has been done (tests wait on it instead of sleeping).
   */
  async settled(): Promise<void> {
    while (this.running && (this.pokePending || this.roundActive)) {
      if (this.roundActive) await this.current.catch(() => undefined);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** One round: sequence and publish pending events, dispatch due notifications. Rounds never overlap. */
  drainOnce(): Promise<DrainResult> {
    const round = this.current.catch(() => undefined).then(() => this.round());
    this.current = round;
    return round;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.loop();
    }, delayMs);
  }

  private async loop(): Promise<void> {
    if (!this.running) return;
    let next = this.options.pollIntervalMs;
    try {
      this.roundActive = true;
      this.pokedDuringRound = false;
      this.pokePending = false;
      const result = await this.drainOnce();
      // A full batch means more is waiting; go again at once instead of waiting for the poll.
      if (result.published + result.dispatched >= this.batchSize || this.pokedDuringRound) next = 0;
    } catch (error) {
      this.options.logger.error({ err: error, stream: this.options.stream }, 'outbox relay round failed');
    } finally {
      this.roundActive = false;
    }
    this.schedule(next);
  }

  private async round(): Promise<DrainResult> {
    const result: DrainResult = { published: 0, dispatched: 0, failed: 0 };
    // Each part catches its own failures, so a stuck bus never holds back notifications and vice versa.
    await this.publishEvents(result).catch((error) => {
      result.failed += 1;
      this.options.logger.warn({ err: error, stream: this.options.stream }, 'publishing outbox events failed');
    });
    await this.dispatchNotifications(result).catch((error) => {
      result.failed += 1;
      this.options.logger.warn({ err: error, stream: this.options.stream }, 'dispatching notifications failed');
    });
    await this.cleanup().catch((error) => this.options.logger.warn({ err: error }, 'outbox cleanup failed'));
    return result;
  }

  /** Gives committed, unsequenced events the next publish sequence numbers (in commit-visible order). */
  private async assignSequence(): Promise<void> {
    const { database, stream } = this.options;
    await database.transaction(async (manager) => {
      const rows = await manager.find(OutboxEventEntity, {
        select: { id: true },
        where: { stream, publishSeq: IsNull(), type: Not(Like(`${NOTIFICATION_TYPE_PREFIX}%`)) },
        order: { id: 'ASC' },
        take: this.batchSize,
      });
      if (rows.length === 0) return;
      const top = await manager
        .createQueryBuilder(OutboxEventEntity, 'o')
        .select('MAX(o.publish_seq)', 'top')
        .where('o.stream = :stream', { stream })
        .getRawOne<{ top: string | number | null }>();
      const first = Number(top?.top ?? 0) + 1;
      // One statement for the round's rows (one UPDATE per event was a statement per event at 1,000 a second). A
      // concurrent relay of another replica makes it collide on the unique index; the round retries.
      const params: unknown[] = [];
      rows.forEach((row, i) => params.push(row.id, first + i));
      await manager.query(
        `UPDATE outbox_events SET publish_seq = CASE id ${rows.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE publish_seq IS NULL AND id IN (${rows.map(() => '?').join(', ')})`,
        [...params, ...rows.map((row) => row.id)],
      );
    });
  }

  private async publishEvents(result: DrainResult): Promise<void> {
    const { database, stream, bus } = this.options;
    await this.assignSequence();
    // Reads go through a transaction: on SQLite that serializes them with writers on the shared connection,
    // so the relay never sees a row of a transaction that may still roll back.
    const rows = await database.transaction((manager) =>
      manager.find(OutboxEventEntity, {
        where: { stream, publishedAt: IsNull(), publishSeq: Not(IsNull()) },
        order: { publishSeq: 'ASC' },
        take: this.batchSize,
      }),
    );
    if (rows.length === 0) return;
    const head = rows[0]!;
    // Events go out in order, so a failure backs off the whole stream (stored on its head row).
    if (head.nextAttemptAt && head.nextAttemptAt.getTime() > this.clock.now().getTime()) return;
    const events = rows.map((row) => toDomainEvent(row, Number(row.publishSeq)));
    try {
      await withTimeout(bus.publish(stream, events), this.options.publishTimeoutMs ?? 30_000, 'publishing to the bus');
    } catch (error) {
      result.failed += 1;
      this.failedCounter.inc({ stream, kind: 'event' });
      await this.recordFailure(head, error);
      this.options.logger.warn(
        { err: error, stream, eventId: events[0]!.id, attempts: head.attempts + 1 },
        'publishing events failed; will retry',
      );
      return;
    }
    const now = this.clock.now();
    await database.transaction((manager) =>
      manager.update(OutboxEventEntity, { id: In(rows.map((r) => r.id)) }, { publishedAt: now, nextAttemptAt: null, lastError: null }),
    );
    result.published += rows.length;
    this.publishedCounter.inc({ stream, kind: 'event' }, rows.length);
  }

  private async dispatchNotifications(result: DrainResult): Promise<void> {
    const { database, stream, dispatcher } = this.options;
    const now = this.clock.now();
    const rows = await database.transaction((manager) =>
      manager
        .createQueryBuilder(OutboxEventEntity, 'o')
        .where('o.stream = :stream', { stream })
        .andWhere('o.published_at IS NULL')
        .andWhere('o.abandoned_at IS NULL')
        .andWhere('o.event_type LIKE :prefix', { prefix: `${NOTIFICATION_TYPE_PREFIX}%` })
        .andWhere('(o.next_attempt_at IS NULL OR o.next_attempt_at <= :now)', { now })
        .orderBy('o.id', 'ASC')
        .take(this.batchSize)
        .getMany(),
    );
    // Notifications are independent: each one retries on its own schedule.
    let index = 0;
    const worker = async () => {
      while (index < rows.length) {
        const row = rows[index++]!;
        try {
          await dispatcher.dispatch(toDomainEvent(row, Number(row.id)));
        } catch (error) {
          result.failed += 1;
          this.failedCounter.inc({ stream, kind: 'notification' });
          await this.recordFailure(row, error, true);
          this.options.logger.warn({ err: error, stream, outboxId: Number(row.id), type: row.type, attempts: row.attempts + 1 }, 'notification delivery failed');
          continue;
        }
        await database.transaction((manager) =>
          manager.update(
            OutboxEventEntity,
            { id: row.id },
            { publishedAt: this.clock.now(), nextAttemptAt: null, lastError: null, payload: redactedNotification(row.payload) as never },
          ),
        );
        result.dispatched += 1;
        this.publishedCounter.inc({ stream, kind: 'notification' });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, rows.length) }, worker));
  }

  private async recordFailure(row: OutboxEventEntity, error: unknown, notification = false): Promise<void> {
    const attempts = row.attempts + 1;
    const delay = Math.min(this.retryBaseMs * 2 ** Math.min(attempts - 1, 20), this.maxRetryDelayMs);
    const now = this.clock.now();
    const abandon = notification && attempts >= this.maxNotificationAttempts;
    await this.options.database.transaction((manager) =>
      manager.update(
        OutboxEventEntity,
        { id: row.id },
        {
          attempts,
          nextAttemptAt: new Date(now.getTime() + delay),
          lastError: String(error instanceof Error ? error.message : error).slice(0, 500),
          ...(abandon ? { abandonedAt: now, payload: redactedNotification(row.payload) as never } : {}),
        },
      ),
    );
    if (abandon) {
      this.abandonedCounter.inc({ stream: this.options.stream });
      this.options.logger.error({ stream: this.options.stream, outboxId: Number(row.id), type: row.type, attempts }, 'notification abandoned');
    }
  }

  /** Deletes published rows past retention, at most once an hour. */
  private async cleanup(): Promise<void> {
    if (this.retentionMs <= 0) return;
    const now = this.clock.now().getTime();
    if (now - this.lastCleanup < 3_600_000) return;
    this.lastCleanup = now;
    const before = new Date(now - this.retentionMs);
    await this.options.database.transaction(async (manager) => {
      // Keep the newest sequenced row: the next sequence number continues from it.
      const top = await manager
        .createQueryBuilder(OutboxEventEntity, 'o')
        .select('MAX(o.publish_seq)', 'top')
        .where('o.stream = :stream', { stream: this.options.stream })
        .getRawOne<{ top: string | number | null }>();
      const qb = manager
        .createQueryBuilder()
        .delete()
        .from(OutboxEventEntity)
        .where('published_at IS NOT NULL')
        .andWhere('published_at < :before', { before });
      if (top?.top !== null && top?.top !== undefined) qb.andWhere('(publish_seq IS NULL OR publish_seq <> :top)', { top: Number(top.top) });
      await qb.execute();
    });
  }
}

export function toDomainEvent(row: OutboxEventEntity, id: number): DomainEvent {
  return { stream: row.stream, id, type: row.type, payload: row.payload, occurredAt: row.occurredAt.toISOString() };
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Each ServiceMetrics registry holds a metric name once; a second relay (tests) reuses it. */
function counter<L extends string>(metrics: ServiceMetrics, name: string, help: string, labels: L[]): Counter<L> {
  const existing = metrics.registry.getSingleMetric(name);
  return (existing as Counter<L> | undefined) ?? metrics.counter(name, help, labels);
}

/**
 * A sent (or abandoned) notification keeps only who it went to and its message id: its text may hold a password
 * or a confirmation code (terms 3.1.1, 5.6.3), which must not stay readable in the outbox table.
 */
export function redactedNotification(payload: Record<string, unknown>): Record<string, unknown> {
  return { messageId: payload.messageId, to: payload.to, redacted: true };
}
