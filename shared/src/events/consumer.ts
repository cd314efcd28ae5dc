import type { Database } from '../db/database';
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
    this.subscription = await bus.subscribe(stream, group, async (event) => {
      await this.apply(event);
    });
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
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
