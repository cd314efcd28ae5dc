import type { Clock, Logger } from '@selfcare/shared';
import { DueScheduler } from './due-scheduler';
import { PaymentService, isOpen } from './payment-service';

/**
 * The reconciliation job (Kill Bill's janitor): it takes the open payments whose next question is due — those whose
 * outcome nobody heard (timeout, a 500, a process killed after the provider charged) and 3-D Secure steps no webhook
 * has closed — and asks the provider about each, with back-off per payment, until it knows. Each runs under the
 * payment's lease, so replicas never drive one payment at once; applying an outcome is idempotent, so racing the
 * webhook credits nothing twice. Rounds run when a question falls due (see DueScheduler): idle, it costs nothing but
 * one look per `maxIdleMs` for what another replica left.
 */
export class PaymentReconciler {
  private readonly scheduler: DueScheduler;

  constructor(
    private readonly payments: PaymentService,
    intervalMs: number,
    maxIdleMs: number,
    clock: Clock,
    private readonly logger: Logger,
    private readonly batchSize = 50,
  ) {
    this.scheduler = new DueScheduler('payment reconciliation', () => this.round(), intervalMs, maxIdleMs, clock, logger);
  }

  start(): void {
    this.scheduler.start();
  }

  /** A payment's next question is at `when`. */
  scheduleAt(when: Date): void {
    this.scheduler.scheduleAt(when);
  }

  /** A payment due now was just committed. */
  poke(): void {
    this.scheduler.poke();
  }

  /** One round: every due payment asked once. Resolves with how many were asked. */
  async runOnce(): Promise<number> {
    const { due } = await this.payments.openByNextCheck(this.batchSize);
    await this.askAll(due);
    return due.length;
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  private async round(): Promise<Date | null | 'again'> {
    const { due, next } = await this.payments.openByNextCheck(this.batchSize);
    const held = await this.askAll(due);
    if (due.length === this.batchSize) return 'again';
    // The questions just asked scheduled their own next ones; a payment somebody else held is looked at when its lease ends.
    return [next, held].filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  }

  /** Asks about each; resolves with the earliest end of a lease that kept one of them from being asked, if any. */
  private async askAll(ids: string[]): Promise<Date | null> {
    let held: Date | null = null;
    // A few at a time: each waits on the provider, not on this process.
    const queue = [...ids];
    const workers = Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        try {
          const payment = await this.payments.drive(id, { leaseHeld: false, first: false });
          const until = payment && isOpen(payment) ? payment.leaseUntil : null;
          if (until && (!held || until < held)) held = until;
        } catch (error) {
          this.logger.warn({ err: error, payment: id }, 'reconciling a payment failed; it is asked again later');
        }
      }
    });
    await Promise.all(workers);
    return held;
  }
}
