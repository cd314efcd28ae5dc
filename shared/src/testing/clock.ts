import { ManualClock } from '../service/clock';

/**
 * Real time plus an offset tests move by hand: lock-outs and expiries are reached by `advance`, while time still
 * passes between two requests as it does in production (a revocation and a later login never share an instant).
 */
export class SteerableClock extends ManualClock {
  private offset = 0;
  override now(): Date {
    return new Date(Date.now() + this.offset);
  }
  override set(date: Date): void {
    this.offset = date.getTime() - Date.now();
  }
  override advance(ms: number): void {
    this.offset += ms;
  }
}
