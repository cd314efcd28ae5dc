import { addDays, dailyShare, dayEnd, dayStart, daysInMonth, daysTouched, isDay, operatorDay, operatorMonth } from '../src/domain/almaty-calendar';

/** The operator's calendar: Asia/Almaty days and months, whatever the server's zone; fees split exactly by days. */
describe('Almaty calendar', () => {
  it('names the Almaty day of an instant and where days begin (UTC+5 since 2024-03-01, UTC+6 before)', () => {
    expect(operatorDay(new Date('2026-03-15T18:59:59.999Z'))).toBe('2026-03-15');
    expect(operatorDay(new Date('2026-03-15T19:00:00.000Z'))).toBe('2026-03-16');
    expect(dayStart('2026-03-16').toISOString()).toBe('2026-03-15T19:00:00.000Z');
    expect(dayStart('2024-01-10').toISOString()).toBe('2024-01-09T18:00:00.000Z');
    // The day the offset changed had 25 hours.
    expect(dayEnd('2024-02-29').getTime() - dayStart('2024-02-29').getTime()).toBe(25 * 3600_000);
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect([isDay('2026-02-29'), isDay('2028-02-29'), isDay('2026-13-01'), isDay('2026-3-1')]).toEqual([false, true, false, false]);
  });

  it('splits a monthly fee over the month’s days so a whole month adds up to it exactly, in whole tiyn', () => {
    for (const [year, month] of [
      [2026, 2],
      [2026, 3],
      [2028, 2],
      [2026, 4],
    ] as const) {
      for (const fee of [0, 1, 99, 499_000, 1_299_000, 9_999_999_999]) {
        const days = Array.from({ length: daysInMonth(year, month) }, (_, i) => `${year}-${String(month).padStart(2, '0')}-${String(i + 1).padStart(2, '0')}`);
        const shares = days.map((day) => dailyShare(fee, day));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(fee);
        expect(shares.every((share) => Number.isInteger(share) && share >= 0)).toBe(true);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('counts the days a period touches and knows the month of an instant', () => {
    expect(daysTouched(dayStart('2026-03-01'), dayStart('2026-04-01'))).toBe(31);
    expect(daysTouched(new Date(dayStart('2026-03-20').getTime() + 10 * 3600_000), dayStart('2026-04-01'))).toBe(12);
    expect(daysTouched(dayStart('2026-03-01'), new Date(dayStart('2026-03-20').getTime() + 1))).toBe(20);
    expect(daysTouched(dayStart('2026-03-05'), dayStart('2026-03-05'))).toBe(0);
    expect(operatorMonth(new Date('2026-02-28T19:30:00Z'))).toEqual({ start: dayStart('2026-03-01'), end: dayStart('2026-04-01'), days: 31, key: '2026-03' });
  });

  it('names the same Almaty day as the zone data at every hour change since 1970 (the offset is kept per UTC hour)', () => {
    const zone = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Almaty', year: 'numeric', month: '2-digit', day: '2-digit' });
    const checked: number[] = [];
    // Every 53 minutes over the years the offset moved (DST until 2004, +6 to +5 on 2024-03-01), every 7 h elsewhere.
    for (let ms = Date.UTC(1970, 0, 1); ms < Date.UTC(2031, 0, 1); ms += 7 * 3_600_000 + 13 * 60_000) checked.push(ms);
    for (const [from, to] of [[Date.UTC(1990, 0, 1), Date.UTC(1992, 0, 1)], [Date.UTC(2004, 2, 20), Date.UTC(2004, 3, 5)], [Date.UTC(2024, 1, 25), Date.UTC(2024, 2, 5)]] as const) {
      for (let ms = from; ms < to; ms += 53 * 60_000) checked.push(ms, ms + 59_999);
    }
    const wrong = checked.filter((ms) => operatorDay(new Date(ms)) !== zone.format(new Date(ms)));
    expect(checked.length).toBeGreaterThan(90_000);
    expect(wrong.map((ms) => new Date(ms).toISOString()).slice(0, 5)).toEqual([]);
    // At local midnight of 1 March 2024 (+6) the clocks went back to 23:00 (+5): Feb 29 had 25 hours.
    expect(operatorDay(new Date('2024-02-29T18:30:00.000Z'))).toBe('2024-02-29');
    expect(operatorDay(new Date('2024-02-29T19:00:00.000Z'))).toBe('2024-03-01');
  });
});
