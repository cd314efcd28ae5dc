import { Column, DataSource, Entity, EntityManager, EntitySubscriberInterface, Index, MigrationInterface, PrimaryColumn, PrimaryGeneratedColumn, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { DateTimeColumn, columns, createTable, insertRows, sqlDateTime } from '../db/schema-kit';
import type { Clock } from '../service/clock';
import { EventContract, EventContractError, EventInput, EventTypeOf, eventSchema } from '../contracts/event-contract';

/** Rows of this type prefix are notifications for the NotificationDispatcher, not events for the bus. */
export const NOTIFICATION_TYPE_PREFIX = 'notification.';

export function isNotificationType(type: string): boolean {
  return type.startsWith(NOTIFICATION_TYPE_PREFIX);
}

/**
 * One event (or queued notification) written in the same transaction as the change it reports.
 *
 * `publish_seq` is the event's id on the bus. It is assigned by the relay, not at insert: on MariaDB
 * auto-increment ids are handed out in insert order, not commit order, so a slower transaction could commit
 * id 5 after id 6 was already published — and a bus that rejects smaller ids (Redis Streams) would lose it.
 * Sequencing committed rows makes the bus ids follow publication order.
 */
@Entity({ name: 'outbox_events' })
@Index('uq_outbox_events_stream_publish_seq', ['stream', 'publishSeq'], { unique: true })
export class OutboxEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string | number;

  @Column('varchar', { length: 40 })
  stream: string;

  @Column('varchar', { name: 'event_type', length: 100 })
  type: string;

  @Column('simple-json')
  payload: Record<string, unknown>;

  @DateTimeColumn({ name: 'occurred_at' })
  occurredAt: Date;

  @Column('bigint', { name: 'publish_seq', nullable: true })
  publishSeq: string | number | null;

  @DateTimeColumn({ name: 'published_at', nullable: true })
  publishedAt: Date | null;

  @Column('int', { default: 0 })
  attempts: number;

  @DateTimeColumn({ name: 'next_attempt_at', nullable: true })
  nextAttemptAt: Date | null;

  @Column('varchar', { name: 'last_error', length: 500, nullable: true })
  lastError: string | null;

  /** Set when a notification was given up after too many failed attempts (bus events are never given up). */
  @DateTimeColumn({ name: 'abandoned_at', nullable: true })
  abandonedAt: Date | null;
}

/** Marks an event applied by one consumer group; the primary key makes a redelivery a no-op. */
@Entity({ name: 'inbox_events' })
export class InboxEventEntity {
  @PrimaryColumn('varchar', { name: 'consumer_group', length: 40 })
  consumerGroup: string;

  @PrimaryColumn('varchar', { length: 40 })
  stream: string;

  @PrimaryColumn('bigint', { name: 'event_id' })
  eventId: string | number;

  @Column('varchar', { name: 'event_type', length: 100 })
  type: string;

  @DateTimeColumn({ name: 'processed_at' })
  processedAt: Date;
}

/** Outbox and inbox tables, part of every service's database; dialect-neutral. */
export class EventTablesMigration implements MigrationInterface {
  name = 'EventTables1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'outbox_events',
      [
        columns.autoIncrementId(queryRunner),
        columns.string('stream', 40),
        columns.string('event_type', 100),
        columns.text('payload'),
        columns.dateTime('occurred_at'),
        columns.bigint('publish_seq', { isNullable: true }),
        columns.dateTime('published_at', { isNullable: true }),
        columns.int('attempts', { default: 0 }),
        columns.dateTime('next_attempt_at', { isNullable: true }),
        columns.string('last_error', 500, { isNullable: true }),
        columns.dateTime('abandoned_at', { isNullable: true }),
      ],
      [
        { columns: ['stream', 'publish_seq'], unique: true, name: 'uq_outbox_events_stream_publish_seq' },
        // The relay's work queue: rows not yet published.
        { columns: ['published_at', 'stream'] },
      ],
    );
    await createTable(queryRunner, 'inbox_events', [
      columns.string('consumer_group', 40, { isPrimary: true }),
      columns.string('stream', 40, { isPrimary: true }),
      columns.bigint('event_id', { isPrimary: true }),
      columns.string('event_type', 100),
      columns.dateTime('processed_at'),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('inbox_events', true);
    await queryRunner.dropTable('outbox_events', true);
  }
}

/** What a committed transaction wrote to the outbox, as its listeners are told. */
export interface WrittenEvent {
  type: string;
  payload: Record<string, unknown>;
}

/**
 * Writes events into the caller's transaction. Listeners (the relay, the live feeds' wake-ups) are told after the
 * transaction commits — telling them at insert time would make them look before the row is visible.
 * The kit's own, untyped writer (notifications, and the `ContractOutbox` services publish through: `runtime.outboxFor`).
 */
export class TransactionalOutbox {
  private readonly listeners: ((written: WrittenEvent[]) => void)[] = [];
  private readonly watched = new WeakSet<DataSource>();
  private readonly dirty = new WeakMap<QueryRunner, WrittenEvent[]>();

  constructor(
    readonly stream: string,
    private readonly clock: Clock,
  ) {}

  async add(manager: EntityManager, type: string, payload: Record<string, unknown>): Promise<void> {
    await this.addMany(manager, [{ type, payload }]);
  }

  /** Several events in one INSERT (in this order): what a batch of postings writes. */
  async addMany(manager: EntityManager, events: readonly WrittenEvent[]): Promise<void> {
    if (!manager.queryRunner?.isTransactionActive) {
      // An outbox row outside a transaction would defeat the point: the change and the event must commit together.
      throw new Error(`outbox.add(${events[0]?.type}) must run inside database.transaction()`);
    }
    if (events.length === 0) return;
    for (const { type } of events) if (!/^[A-Za-z][\w.]{0,99}$/.test(type)) throw new Error(`invalid event type "${type}"`);
    // The other columns start NULL; `payload` as simple-json stores it.
    const occurredAt = sqlDateTime(this.clock.now());
    await insertRows(manager, 'outbox_events', ['stream', 'event_type', 'payload', 'occurred_at', 'attempts'], events.map(({ type, payload }) => [this.stream, type, JSON.stringify(payload), occurredAt, 0]));
    this.watchCommits(manager.connection);
    const written = this.dirty.get(manager.queryRunner) ?? [];
    written.push(...events);
    this.dirty.set(manager.queryRunner, written);
  }

  /** `listener` runs after each commit of a transaction that wrote to this outbox, with what it wrote. */
  onWrite(listener: (written: WrittenEvent[]) => void): void {
    this.listeners.push(listener);
  }

  private watchCommits(dataSource: DataSource): void {
    if (this.watched.has(dataSource)) return;
    this.watched.add(dataSource);
    const subscriber: EntitySubscriberInterface = {
      afterTransactionCommit: (event: TransactionCommitEvent) => {
        const written = this.dirty.get(event.queryRunner);
        if (!written) return;
        this.dirty.delete(event.queryRunner);
        for (const listener of this.listeners) {
          try {
            listener(written);
          } catch {
            // A listener only nudges (the relay, a feed); their polling covers a failed nudge.
          }
        }
      },
      afterTransactionRollback: (event: TransactionRollbackEvent) => {
        this.dirty.delete(event.queryRunner);
      },
    };
    dataSource.subscribers.push(subscriber);
  }
}

/** One event of a contract as `addMany` takes it: the type name and the payload that type expects. */
export type ContractEvent<C extends EventContract> = { [T in EventTypeOf<C>]: { type: T; payload: EventInput<C, T> } }[EventTypeOf<C>];

/**
 * The outbox of one service typed by its event contract: the event type name selects the payload type, and the
 * payload is validated (and stripped of unknown fields) before it is written — a malformed event fails the
 * transaction that would have published it, instead of reaching consumers that must skip it.
 */
export class ContractOutbox<C extends EventContract> {
  constructor(
    readonly contract: C,
    private readonly outbox: TransactionalOutbox,
  ) {
    if (outbox.stream !== contract.stream) throw new Error(`the ${outbox.stream} outbox cannot publish events of the ${contract.stream} stream`);
  }

  async add<T extends EventTypeOf<C>>(manager: EntityManager, type: T, payload: EventInput<C, T>): Promise<void> {
    await this.addMany(manager, [{ type, payload }]);
  }

  /** Several events, each validated, in one INSERT (a batch of postings' BalanceChanged, say). */
  async addMany(manager: EntityManager, events: readonly ContractEvent<C>[]): Promise<void> {
    const parsed = events.map(({ type, payload }) => {
      const schema = eventSchema(this.contract, type);
      if (!schema) throw new Error(`${type} is not an event of the ${this.contract.stream} contract`);
      const result = schema.safeParse(payload);
      if (!result.success) throw new EventContractError(this.contract.stream, type, result.error.issues);
      return { type, payload: result.data };
    });
    await this.outbox.addMany(manager, parsed);
  }
}
