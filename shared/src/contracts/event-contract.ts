import type { z } from 'zod';
import type { ServiceName } from '../service/directory';

/** An event's payload schema: always an object (the outbox stores it as JSON, consumers read fields of it). */
export type PayloadSchema = z.ZodType<Record<string, unknown>, z.ZodTypeDef, unknown>;

export type EventSchemas = { readonly [type: string]: PayloadSchema };

/**
 * The events one service publishes on its stream: type name → payload schema. The producer's outbox validates
 * against it before insert and every consumer parses with it, so producer and consumers cannot drift apart.
 */
export interface EventContract<S extends ServiceName = ServiceName, E extends EventSchemas = EventSchemas> {
  readonly stream: S;
  readonly events: E;
}

/** Event type names as the outbox accepts them (letters, digits, `_` and `.`, up to 100). */
const EVENT_TYPE = /^[A-Za-z][\w.]{0,99}$/;

export function defineEvents<S extends ServiceName, E extends EventSchemas>(stream: S, events: E): EventContract<S, E> {
  for (const type of Object.keys(events)) {
    if (!EVENT_TYPE.test(type) || type.startsWith('notification.')) throw new Error(`${stream}: "${type}" cannot be an event type`);
  }
  return Object.freeze({ stream, events: Object.freeze({ ...events }) });
}

export type EventTypeOf<C extends EventContract> = Extract<keyof C['events'], string>;
/** What a producer passes to `outbox.add` for this type. */
export type EventInput<C extends EventContract, T extends EventTypeOf<C>> = z.input<C['events'][T]>;
/** What a consumer's handler receives for this type, once parsed. */
export type EventPayload<C extends EventContract, T extends EventTypeOf<C>> = z.output<C['events'][T]>;

/** The schema of `type`, looked up as an own property only (`constructor`, `__proto__` are no event types). */
export function eventSchema(contract: EventContract, type: string): PayloadSchema | undefined {
  return Object.prototype.hasOwnProperty.call(contract.events, type) ? contract.events[type] : undefined;
}

/** A payload that does not fit its contract, refused before it reaches the outbox. */
export class EventContractError extends Error {
  constructor(
    readonly stream: string,
    readonly type: string,
    readonly issues: z.ZodIssue[],
  ) {
    super(`${stream} event ${type} does not fit its contract: ${issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ')}`);
    this.name = 'EventContractError';
  }
}
