import type { Logger } from '@selfcare/shared';
import type { PaymentService } from './payment-service';

/**
 * The reconciliation job (Kill Bill's janitor): every tick it takes the open payments whose next question is due —
 * those whose outcome nobody heard (timeout, a 500, a process killed after the provider charged) and 3-D Secure steps
 * no webhook has closed — and asks the provider about each, with back-off per payment, until it knows. Each runs under
 * the payment's lease, so replicas never drive one payment at once; applying an outcome is idempotent, so racing the
 * webhook credits nothing twice.
 */
export class PaymentReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly payments: PaymentService,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly batchSize = 50,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.intervalMs);
  }

  /** Runs a round soon (a payment was just written that is due now). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** One round: every due payment asked once. Resolves with how many were asked. */
  async runOnce(): Promise<number> {
    const due = await this.payments.due(this.batchSize);
    // A few at a time: each waits on the provider, not on this process.
    const queue = [...due];
    const workers = Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        try {
          await this.payments.drive(id, { leaseHeld: false, first: false });
        } catch (error) {
          this.logger.warn({ err: error, payment: id }, 'reconciling a payment failed; it is asked again next round');
        }
      }
    });
    await Promise.all(workers);
    return due.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.round().finally(() => {
        this.running = null;
        const next = this.again ? 0 : this.intervalMs;
        this.again = false;
        this.schedule(next);
      });
    }, delayMs);
    this.timer.unref?.();
  }

  private async round(): Promise<void> {
    try {
      // A full batch means more may be due: go on at once (a bounded number of times: leased ones stay due).
      for (let round = 0; round < 20 && !this.stopped && (await this.runOnce()) === this.batchSize; round += 1);
    } catch (error) {
      this.logger.warn({ err: error }, 'payment reconciliation round failed; next round as scheduled');
    }
  }
}
