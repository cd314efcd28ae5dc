import type { EntityManager } from 'typeorm';
import { identityEvents } from '../contracts/identity-events';
import { OutboxEventEntity } from '../events/outbox';
import type { SubgraphRuntime } from './run-subgraph';

/**
 * terms 2.11: what a subgraph knows of a subscriber whose personal data identity erased (`SubscriberDataErased`).
 * Erasers add to `mentions` the personal strings they found and removed (the number, an e-mail), so that the last
 * step can take them out of the subgraph's published outbox rows too.
 */
export interface ErasureSubject {
  readonly subscriberId: string;
  readonly erasedAt: Date;
  readonly mentions: Set<string>;
}

/** Erases or anonymizes one module's personal data of the subject; must be idempotent (the event may come twice). */
export type Eraser = (manager: EntityManager, subject: ErasureSubject) => Promise<void>;

/**
 * The strings under which a Kazakhstan number may be stored: its national 10 digits are part of every form the
 * system writes (+77051234567, 77051234567, 87051234567, 7051234567), so that one is what outbox rows are searched for.
 */
export function msisdnMention(msisdn: string): string | null {
  const digits = msisdn.replace(/\D/g, '');
  return digits.length >= 10 ? digits.slice(-10) : null;
}

/**
 * One subgraph's erasure (terms 2.11): every module that keeps personal data registers its eraser; on identity's
 * `SubscriberDataErased` all of them run in the consumer's one transaction, in registration order (a module that
 * knows the number — a line directory — registers first), then the outbox is cleaned of what they found.
 * The inbox makes a redelivery a no-op; each eraser is idempotent besides.
 */
export class PersonalDataErasure {
  private readonly erasers: { name: string; eraser: Eraser }[] = [];

  register(name: string, eraser: Eraser): void {
    if (this.erasers.some((e) => e.name === name)) throw new Error(`eraser ${name} registered twice`);
    this.erasers.push({ name, eraser });
  }

  /** The modules that registered, in order (tests, the README). */
  get names(): string[] {
    return this.erasers.map((e) => e.name);
  }

  /** Subscribes to identity's stream; call once, after the modules registered (or before: the list is read per event). */
  consume(runtime: SubgraphRuntime): void {
    runtime.consume(identityEvents, {
      SubscriberDataErased: async ({ subscriberId }, manager) => {
        await this.erase(manager, subscriberId, runtime.clock.now());
      },
    });
  }

  async erase(manager: EntityManager, subscriberId: string, erasedAt: Date): Promise<ErasureSubject> {
    const subject: ErasureSubject = { subscriberId, erasedAt, mentions: new Set() };
    for (const { eraser } of this.erasers) await eraser(manager, subject);
    await redactOutboxMentions(manager, [...subject.mentions], erasedAt);
    return subject;
  }
}

const REDACTED = { redacted: true, reason: 'terms 2.11' };

/**
 * Outbox rows whose payload names one of `mentions`: a published one keeps its row (the relay's sequence continues
 * from the newest) with the payload replaced; a notification not sent yet is given up — nobody is to be told at a
 * number or address that is erased. A bus event not published yet is left to go out (its consumers need it); the
 * relay deletes published rows after its retention (days), long before anyone's 3 years are over anyway.
 */
export async function redactOutboxMentions(manager: EntityManager, mentions: readonly string[], now: Date): Promise<void> {
  for (const mention of mentions) {
    if (mention.length < 5) continue;
    const pattern = `%${mention.replace(/[!%_]/g, (c) => `!${c}`)}%`;
    await manager
      .createQueryBuilder()
      .update(OutboxEventEntity)
      .set({ payload: REDACTED })
      .where('published_at IS NOT NULL')
      .andWhere("payload LIKE :pattern ESCAPE '!'", { pattern })
      .execute();
    await manager
      .createQueryBuilder()
      .update(OutboxEventEntity)
      .set({ payload: REDACTED, abandonedAt: now })
      .where('published_at IS NULL')
      .andWhere('abandoned_at IS NULL')
      .andWhere('event_type LIKE :notification', { notification: 'notification.%' })
      .andWhere("payload LIKE :pattern ESCAPE '!'", { pattern })
      .execute();
  }
}
