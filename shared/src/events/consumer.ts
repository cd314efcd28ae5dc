import type { EntityManager } from 'typeorm';
import type { Database } from '../db/database';
import { EventContract, EventPayload, EventTypeOf, eventSchema } from '../contracts/event-contract';
import type { Logger } from '../logging/logger';
import { Clock, systemClock } from '../service/clock';
import { insertRows, sqlDateTime } from '../db/schema-kit';
import type { BusSubscription, ConsumerHandler, DomainEvent, EventBus } from './types';

export interface IdempotentConsumerOptions {
  database: Database;
  bus: EventBus;
  /** The producing service's stream. */
  stream: string;
  /** The consuming service (one delivery per group). */
  group: string;
  handler: ConsumerHandler;
  logger: Logger;
  clock?: Clock;
}

/** The inbox rows (`InboxEventEntity`) of applied events, in one statement. */
function insertInbox(manager: EntityManager, group: string, events: readonly DomainEvent[], processedAt: Date): Promise<void> {
  const at = sqlDateTime(processedAt);
  return insertRows(manager, 'inbox_events', ['consumer_group', 'stream', 'event_id', 'event_type', 'processed_at'], events.map((event) => [group, event.stream, event.id, event.type, at]));
}

/**
 * Applies each event of a stream exactly once: the handler's changes and the inbox row
 * (primary key group + stream + event id) commit in one transaction, so a redelivered event finds its
 * inbox row and is skipped, and a failed handler leaves no inbox row and is redelivered.
 */
export class IdempotentConsumer {
  private subscription?: BusSubscription;

  constructor(private readonly options: IdempotentConsumerOptions) {}

  async start(): Promise<void> {
    if (this.subscription) return;
    const { bus, stream, group } = this.options;
    this.subscription = await bus.subscribe(
      stream,
      group,
      async (event) => {
        await this.apply(event);
      },
      { many: (events) => this.applyMany(events) },
    );
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
  }

  /**
   * Applies consecutive events of one read in one transaction: their inbox rows in one INSERT, then each handler in
   * order — a consumer that follows a busy stream (most of whose events it has no handler for) pays one commit per
   * read instead of one per event. When that fails (an event applied before, a handler that fails) it rolls back
   * whole and the events are applied one by one, each on its own, as `apply` does; the first failure is rethrown
   * so the bus delivers the rest again.
   */
  async applyMany(events: DomainEvent[]): Promise<void> {
    const { database, group, handler } = this.options;
    if (events.length === 1) {
      await this.apply(events[0]!);
      return;
    }
    const processedAt = (this.options.clock ?? systemClock).now();
    try {
      await database.transaction(async (manager) => {
        await insertInbox(manager, group, events, processedAt);
        if (handler.many) await handler.many(events, manager);
        else for (const event of events) await handler(event, manager);
      });
      return;
    } catch {
      // Rolled back whole: nothing of the batch is applied, so one by one now finds out which event it was.
    }
    for (const event of events) await this.apply(event);
  }

  /** Applies one event; resolves `false` when it had been applied before. Exposed for tests and replays. */
  async apply(event: DomainEvent): Promise<boolean> {
    const { database, group, handler, logger } = this.options;
    try {
      return await database.transaction(async (manager) => {
        try {
          // Insert first: on MariaDB a concurrent delivery of the same event waits on this row's lock and then fails.
          await insertInbox(manager, group, [event], (this.options.clock ?? systemClock).now());
        } catch (error) {
          if (database.isDuplicateKey(error)) return false;
          throw error;
        }
        await handler(event, manager);
        return true;
      });
    } catch (error) {
      logger.warn({ err: error, stream: event.stream, group, eventId: event.id, type: event.type }, 'event handler failed; will be redelivered');
      throw error;
    }
  }
}

/**
 * A handler that takes a run of consecutive events of its type at once (from one read of the bus, in one
 * transaction), in order — to read what they all need in one statement. One event alone comes as a run of one.
 */
export interface BatchEventHandler<P> {
  many: (payloads: P[], manager: EntityManager, events: DomainEvent<P>[]) => Promise<void>;
}

/** Handlers of one producer's events, by type; each receives the payload parsed with the contract's schema. */
export type EventHandlers<C extends EventContract> = {
  readonly [T in EventTypeOf<C>]?:
    | ((payload: EventPayload<C, T>, manager: EntityManager, event: DomainEvent<EventPayload<C, T>>) => Promise<void>)
    | BatchEventHandler<EventPayload<C, T>>;
};

/**
 * One ConsumerHandler from typed handlers: the event's type picks the handler (types without one are not this
 * consumer's business and pass), its payload is parsed with the contract's schema, and a malformed event is
 * logged and skipped — retrying it would block the stream behind it forever.
 */
export function contractHandler<C extends EventContract>(contract: C, handlers: EventHandlers<C>, logger: Logger): ConsumerHandler {
  for (const type of Object.keys(handlers)) {
    // A typo in a handler's name would otherwise pass silently (and every such event with it).
    if (!eventSchema(contract, type)) throw new Error(`${type} is not an event of the ${contract.stream} contract`);
  }
  type One = (payload: unknown, manager: EntityManager, event: DomainEvent<unknown>) => Promise<void>;
  const handlerOf = (type: string): One | BatchEventHandler<unknown> | undefined =>
    Object.prototype.hasOwnProperty.call(handlers, type) ? (handlers[type as EventTypeOf<C>] as One | BatchEventHandler<unknown> | undefined) : undefined;
  /** The event with its payload parsed, or null (logged) when it is malformed. */
  const parsedOf = (event: DomainEvent): DomainEvent<unknown> | null => {
    const parsed = eventSchema(contract, event.type)!.safeParse(event.payload);
    if (parsed.success) return { ...event, payload: parsed.data };
    logger.error({ stream: event.stream, eventId: event.id, type: event.type, issues: parsed.error.issues }, `malformed ${event.type} skipped`);
    return null;
  };
  const run = async (handle: One | BatchEventHandler<unknown>, events: DomainEvent<unknown>[], manager: EntityManager) => {
    if (events.length === 0) return;
    if (typeof handle === 'function') for (const event of events) await handle(event.payload, manager, event);
    else await handle.many(events.map((e) => e.payload), manager, events);
  };
  const handler: ConsumerHandler = async (event, manager) => {
    const handle = handlerOf(event.type);
    if (!handle || !eventSchema(contract, event.type)) return;
    const parsed = parsedOf(event);
    if (parsed) await run(handle, [parsed], manager);
  };
  // A run of consecutive events of one type goes to its handler at once; the order of the events is kept.
  handler.many = async (events, manager) => {
    for (let i = 0; i < events.length; ) {
      const type = events[i]!.type;
      let end = i;
      while (end < events.length && events[end]!.type === type) end += 1;
      const handle = handlerOf(type);
      if (handle && eventSchema(contract, type)) await run(handle, events.slice(i, end).map(parsedOf).filter((e): e is DomainEvent<unknown> => e !== null), manager);
      i = end;
    }
  };
  return handler;
}
