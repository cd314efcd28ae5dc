import type { Clock, LinePlanAt } from '@selfcare/shared';

/** Whether a plan answer covers an instant: inside both its tariff period and its allowance period. */
export function planCovers(plan: LinePlanAt, at: Date): boolean {
  const t = at.getTime();
  return (
    Date.parse(plan.tariffPeriod.start) <= t &&
    (plan.tariffPeriod.end === null || t < Date.parse(plan.tariffPeriod.end)) &&
    Date.parse(plan.allowancePeriod.start) <= t &&
    t < Date.parse(plan.allowancePeriod.end)
  );
}

interface Kept {
  plan: LinePlanAt;
  /** instants up to here are answered: what catalog said then about the past stays true (switches take effect at "now") */
  answersUpTo: number;
  expiresAt: number;
}

/**
 * Catalog's plans-at answers of the last minute, per line, reused by the next batches (a network sends every line's
 * usage many times a minute; asking about 2,000 lines took a third of a batch's time, bench/detailing.js). An answer
 * serves only instants before it was asked (less a margin for the two services' clocks): a tariff switch takes
 * effect when it is made, so it changes nothing before that, and usage after the answer is asked about afresh. What
 * the reuse can miss is a switch shortening the old period's pro-rata package for usage that arrives late — for at
 * most TTL_MS, the same as a batch that straddles the switch. Bounded: the oldest lines go first.
 */
export class LinePlanCache {
  static readonly TTL_MS = 60_000;
  static readonly CLOCK_MARGIN_MS = 2_000;
  static readonly MAX_LINES = 50_000;
  private readonly byLine = new Map<string, Kept[]>();

  constructor(private readonly clock: Clock) {}

  /** The kept answer covering this line's instant, if one is fresh. */
  find(subscriberId: string, at: Date): LinePlanAt | null {
    const kept = this.byLine.get(subscriberId);
    if (!kept) return null;
    const now = this.clock.now().getTime();
    for (const k of kept) if (k.expiresAt > now && at.getTime() <= k.answersUpTo && planCovers(k.plan, at)) return k.plan;
    return null;
  }

  /** Keeps an answer catalog gave to a question sent at `askedAt`. */
  keep(plan: LinePlanAt, askedAt: Date): void {
    const now = this.clock.now().getTime();
    const fresh = (this.byLine.get(plan.subscriberId) ?? []).filter((k) => k.expiresAt > now && k.plan.allowancePeriod.start !== plan.allowancePeriod.start);
    fresh.push({ plan, answersUpTo: askedAt.getTime() - LinePlanCache.CLOCK_MARGIN_MS, expiresAt: now + LinePlanCache.TTL_MS });
    this.byLine.delete(plan.subscriberId);
    this.byLine.set(plan.subscriberId, fresh.slice(-4));
    while (this.byLine.size > LinePlanCache.MAX_LINES) this.byLine.delete(this.byLine.keys().next().value!);
  }

  /** A line that changed (provisioned again, ended) is asked about afresh. */
  forget(subscriberId: string): void {
    this.byLine.delete(subscriberId);
  }
}
