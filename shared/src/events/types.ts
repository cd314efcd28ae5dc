import type { EntityManager } from 'typeorm';

/**
 * A domain event as it travels on the bus. `id` is the producer's outbox id: monotonic per stream,
 * so consumers can resume from the last id they applied and recognise a redelivery.
 */
export interface DomainEvent<T = Record<string, unknown>> {
  stream: string;
  id: number;
  type: string;
  payload: T;
  occurredAt: string;
}

export type EventHandler = (event: DomainEvent) => Promise<void>;
/** Several consecutive events of one read, in order; when it fails the bus delivers them again (the inbox skips what was applied). */
export type EventBatchHandler = (events: DomainEvent[]) => Promise<void>;

export interface BusSubscription {
  stop(): Promise<void>;
}

/**
 * Redis Streams in distributed mode, in-process in the embedded default. Delivery is at least once;
 * consumers are idempotent (see `IdempotentConsumer`).
 */
export interface EventBus {
  /** Publishes events of one stream in id order; publishing an id again is a no-op. */
  publish(stream: string, events: DomainEvent[]): Promise<void>;
  /**
   * Delivers every event of `stream` to the consumer group `group` (one delivery per group, in order),
   * starting after the last event the group acknowledged.
   */
  subscribe(stream: string, group: string, handler: EventHandler, options?: { many?: EventBatchHandler }): Promise<BusSubscription>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Handler of a consumed event, run in one transaction with the inbox record that makes it idempotent. */
export type ConsumerHandler = ((event: DomainEvent, manager: EntityManager) => Promise<void>) & {
  /** Consecutive events of one read in one transaction, in order; without it each goes through the handler. */
  many?: (events: DomainEvent[], manager: EntityManager) => Promise<void>;
};
