import type { Clock, Logger } from '@selfcare/shared';

/** What one round did: when the next thing it knows of falls due (null: nothing known), or 'again' (more is due now). */
export type RoundOutcome = Date | null | 'again';

/**
 * Runs a job's rounds when work falls due, not on a fixed tick: each round says when its next known item is due, and
 * this process's own writes say when theirs are (`scheduleAt`). Between them it waits at least `minMs` and at most
 * `maxMs` — the latter is the slow look for what other replicas left behind (a replica that died), so an idle system
 * costs one statement per job per `maxMs`. Due times are on the service's clock; waits are real time.
 */
export class DueScheduler {
  private timer: NodeJS.Timeout | null = null;
  private armedAt: number | null = null;
  private running: Promise<void> | null = null;
  private rerun = false;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly round: () => Promise<RoundOutcome>,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  /** Something falls due at `when`: a round then (or sooner, if one is already planned). */
  scheduleAt(when: Date): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.arm(Math.min(Math.max(when.getTime() - this.clock.now().getTime(), this.minMs), this.maxMs));
  }

  /** A round as soon as possible (something due now was just committed). */
  poke(): void {
    this.scheduleAt(this.clock.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = null;
    await this.running?.catch(() => undefined);
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    // An earlier round already planned covers this one.
    if (this.timer && this.armedAt !== null && this.armedAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.armedAt = null;
      this.running = this.run().finally(() => {
        this.running = null;
      });
    }, delayMs);
    this.timer.unref?.();
  }

  private async run(): Promise<void> {
    let next: RoundOutcome = null;
    try {
      // A bounded number of back-to-back rounds while more is due.
      for (let i = 0; i < 20 && !this.stopped; i += 1) {
        next = await this.round();
        if (next !== 'again') break;
      }
    } catch (error) {
      this.logger.warn({ err: error, job: this.name }, 'background round failed; trying again later');
      this.rerun = false;
      this.running = null;
      this.arm(this.minMs);
      return;
    }
    this.running = null;
    if (this.rerun || next === 'again') {
      this.rerun = false;
      this.arm(this.minMs);
      return;
    }
    this.arm(next ? Math.min(Math.max(next.getTime() - this.clock.now().getTime(), this.minMs), this.maxMs) : this.maxMs);
  }
}
