import type { EntityManager } from 'typeorm';
import type { Database } from '../db/database';
import { EventContract, EventPayload, EventTypeOf, eventSchema } from '../contracts/event-contract';
import type { Logger } from '../logging/logger';
import { Clock, systemClock } from '../service/clock';
import { InboxEventEntity } from './outbox';
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
        await manager.insert(
          InboxEventEntity,
          events.map((event) => ({ consumerGroup: group, stream: event.stream, eventId: event.id, type: event.type, processedAt })),
        );
        for (const event of events) await handler(event, manager);
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
          await manager.insert(InboxEventEntity, {
            consumerGroup: group,
            stream: event.stream,
            eventId: event.id,
            type: event.type,
            processedAt: (this.options.clock ?? systemClock).now(),
          });
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

/** Handlers of one producer's events, by type; each receives the payload parsed with the contract's schema. */
export type EventHandlers<C extends EventContract> = {
  readonly [T in EventTypeOf<C>]?: (payload: EventPayload<C, T>, manager: EntityManager, event: DomainEvent<EventPayload<C, T>>) => Promise<void>;
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
  return async (event, manager) => {
    if (!Object.prototype.hasOwnProperty.call(handlers, event.type)) return;
    const handle = handlers[event.type as EventTypeOf<C>] as
      | ((payload: unknown, manager: EntityManager, event: DomainEvent<unknown>) => Promise<void>)
      | undefined;
    const schema = eventSchema(contract, event.type);
    if (!handle || !schema) return;
    const parsed = schema.safeParse(event.payload);
    if (!parsed.success) {
      logger.error({ stream: event.stream, eventId: event.id, type: event.type, issues: parsed.error.issues }, `malformed ${event.type} skipped`);
      return;
    }
    await handle(parsed.data, manager, { ...event, payload: parsed.data });
  };
}
