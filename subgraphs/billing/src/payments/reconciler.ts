import type { Clock, Logger } from '@selfcare/shared';
import { DueScheduler } from './due-scheduler';
import type { PaymentService } from './payment-service';

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
    await this.askAll(due);
    // The questions just asked scheduled their own next ones; a full batch may have more behind it.
    return due.length === this.batchSize ? 'again' : next;
  }

  private async askAll(ids: string[]): Promise<void> {
    // A few at a time: each waits on the provider, not on this process.
    const queue = [...ids];
    const workers = Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        try {
          await this.payments.drive(id, { leaseHeld: false, first: false });
        } catch (error) {
          this.logger.warn({ err: error, payment: id }, 'reconciling a payment failed; it is asked again later');
        }
      }
    });
    await Promise.all(workers);
  }
}
