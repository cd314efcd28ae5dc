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
  /** When the contract ended: a number is somebody else's only after it (see NUMBER_QUARANTINE_MS). */
  readonly contractEndedAt: Date;
  readonly erasedAt: Date;
  readonly mentions: Set<string>;
}

/** Erases or anonymizes one module's personal data of the subject; must be idempotent (the event may come twice). */
export type Eraser = (manager: EntityManager, subject: ErasureSubject) => Promise<void>;

/**
 * A number given up with a contract is not given to anybody else for at least this long, so what names it up to
 * `contractEndedAt` + this is the erased subscriber's (the end's own consequences — requests ended, parties told —
 * come within it); what names it later may be about its next holder and is left alone.
 */
export const NUMBER_QUARANTINE_MS = 30 * 24 * 3600_000;

/** The last instant at which a mention of the subject's number is theirs. */
export function mentionsUntil(subject: Pick<ErasureSubject, 'contractEndedAt'>): Date {
  return new Date(subject.contractEndedAt.getTime() + NUMBER_QUARANTINE_MS);
}

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
      SubscriberDataErased: async ({ subscriberId, contractEndedAt }, manager) => {
        await this.erase(manager, { subscriberId, contractEndedAt: new Date(contractEndedAt), erasedAt: runtime.clock.now() });
      },
    });
  }

  async erase(manager: EntityManager, of: Omit<ErasureSubject, 'mentions'>): Promise<ErasureSubject> {
    const subject: ErasureSubject = { ...of, mentions: new Set() };
    for (const { eraser } of this.erasers) await eraser(manager, subject);
    await redactOutboxMentions(manager, [...subject.mentions], mentionsUntil(subject), subject.erasedAt);
    return subject;
  }
}

const REDACTED = { redacted: true, reason: 'terms 2.11' };

/**
 * Outbox rows written up to `until` whose payload names one of `mentions`: a published one keeps its row (the relay's
 * sequence continues from the newest) with the payload replaced; a notification not sent yet is given up — nobody is
 * to be told at an erased number or address. A bus event not published yet goes out as it is (its consumers need it;
 * they erase what they keep of it). Later rows may be about the number's next holder and stay. The relay deletes
 * published rows after its retention (days), long before anyone's 3 years are over; this is for what it keeps (the
 * newest row of each stream) and for a relay configured to keep everything.
 */
export async function redactOutboxMentions(manager: EntityManager, mentions: readonly string[], until: Date, now: Date): Promise<void> {
  for (const mention of mentions) {
    if (mention.length < 5) continue;
    const pattern = `%${mention.replace(/[!%_]/g, (c) => `!${c}`)}%`;
    const named = () =>
      manager
        .createQueryBuilder()
        .update(OutboxEventEntity)
        .where('occurred_at <= :until', { until })
        .andWhere("payload LIKE :pattern ESCAPE '!'", { pattern });
    await named().set({ payload: REDACTED }).andWhere('published_at IS NOT NULL').execute();
    await named()
      .set({ payload: REDACTED, abandonedAt: now })
      .andWhere('published_at IS NULL')
      .andWhere('abandoned_at IS NULL')
      .andWhere('event_type LIKE :notification', { notification: 'notification.%' })
      .execute();
  }
}
