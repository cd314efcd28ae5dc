import { ManualClock, OPERATOR_APP_DATA_RULE } from '@selfcare/shared';
import type { LinePlanAt } from '@selfcare/shared';
import { LinePlanCache } from '../src/ingest/plan-cache';

const NOW = new Date('2026-03-15T09:00:00.000Z');
const plan = (subscriberId: string, tariffEnd: string | null = null): LinePlanAt => ({
  subscriberId,
  at: '2026-03-15T08:00:00.000Z',
  kind: 'MOBILE',
  tariffCode: 'BEELINE_M',
  tariffPlanId: 'plan-m',
  versionId: 'v1',
  termsVersion: '1',
  tariffPeriod: { start: '2026-01-01T00:00:00.000Z', end: tariffEnd },
  allowancePeriod: { start: '2026-02-28T19:00:00.000Z', end: '2026-03-31T19:00:00.000Z' },
  allowances: [],
  rates: null,
  operatorAppData: OPERATOR_APP_DATA_RULE,
});

describe('LinePlanCache (terms 2.10: the plan at the time of use)', () => {
  it('answers only instants before the question was asked, inside the answer’s periods, for a minute', () => {
    const clock = new ManualClock(NOW);
    const cache = new LinePlanCache(clock);
    cache.keep(plan('a'), NOW);
    const at = (iso: string) => cache.find('a', new Date(iso));
    expect(at('2026-03-15T08:59:00.000Z')?.versionId).toBe('v1');
    expect(at('2026-03-01T00:00:00.000Z')?.versionId).toBe('v1');
    // After the question (less the clocks' margin): a switch made since may have changed the plan.
    expect(at('2026-03-15T08:59:59.000Z')).toBeNull();
    expect(at('2026-03-15T09:00:30.000Z')).toBeNull();
    // Outside the allowance period: another month's package.
    expect(at('2026-02-20T00:00:00.000Z')).toBeNull();
    expect(cache.find('b', new Date('2026-03-15T08:00:00.000Z'))).toBeNull();
    clock.advance(LinePlanCache.TTL_MS);
    expect(at('2026-03-15T08:59:00.000Z')).toBeNull();
  });

  it('forgets a line that changed and keeps at most MAX_LINES lines, the oldest going first', () => {
    const clock = new ManualClock(NOW);
    const cache = new LinePlanCache(clock);
    cache.keep(plan('a'), NOW);
    cache.forget('a');
    expect(cache.find('a', new Date('2026-03-15T08:00:00.000Z'))).toBeNull();
    for (let i = 0; i <= LinePlanCache.MAX_LINES; i += 1) cache.keep(plan(`line-${i}`), NOW);
    expect(cache.find('line-0', new Date('2026-03-15T08:00:00.000Z'))).toBeNull();
    expect(cache.find(`line-${LinePlanCache.MAX_LINES}`, new Date('2026-03-15T08:00:00.000Z'))?.subscriberId).toBe(`line-${LinePlanCache.MAX_LINES}`);
  });
});
