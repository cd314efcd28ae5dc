/**
 * The operator's calendar: fees, allowance periods and tariff-switch days are counted in Asia/Almaty days and
 * months (Kazakhstan's business time), whatever the server's zone. A day is named by its date, 'YYYY-MM-DD'.
 * Offsets come from the runtime's time-zone data (UTC+6 until 2024-03-01, UTC+5 since).
 */
export const OPERATOR_TIME_ZONE = 'Asia/Almaty';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

const dateParts = new Intl.DateTimeFormat('en-US', {
  timeZone: OPERATOR_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Almaty's offset from UTC at an instant, in ms, read from the runtime's time-zone data. */
function offsetFromZoneData(ms: number): number {
  const parts: Record<string, number> = {};
  for (const part of dateParts.formatToParts(new Date(ms))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const HOUR_MS = 3_600_000;
const offsetByHour = new Map<number, number>();

/**
 * Almaty's offset from UTC at an instant, in ms. Intl's formatting costs microseconds and rating asks per record, so
 * the offset is kept per UTC hour: every change of Almaty's offset since 1970 fell on a whole UTC hour (whole-hour
 * offsets, changes at local whole hours); earlier instants are read from the zone data each time.
 */
function offsetAt(ms: number): number {
  if (ms < 0) return offsetFromZoneData(ms);
  const hour = Math.floor(ms / HOUR_MS);
  let offset = offsetByHour.get(hour);
  if (offset === undefined) {
    offset = offsetFromZoneData(hour * HOUR_MS);
    if (offsetByHour.size >= 100_000) offsetByHour.clear();
    offsetByHour.set(hour, offset);
  }
  return offset;
}

function localTime(instant: Date): LocalTime {
  const local = new Date(instant.getTime() + offsetAt(instant.getTime()));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function dayName(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

export function isDay(value: string): boolean {
  const match = DAY.exec(value);
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

export function parseDay(day: string): { year: number; month: number; day: number } {
  if (!isDay(day)) throw new Error(`not a day: ${day}`);
  const [, y, m, d] = DAY.exec(day)!.map(Number) as [number, number, number, number];
  return { year: y, month: m, day: d };
}

/** The Almaty date an instant falls on. */
export function operatorDay(instant: Date): string {
  const t = localTime(instant);
  return dayName(t.year, t.month, t.day);
}

/** The instant an Almaty day begins. */
export function dayStart(day: string): Date {
  const { year, month, day: d } = parseDay(day);
  const midnightAsUtc = Date.UTC(year, month - 1, d);
  // Two steps find the offset in force at local midnight, also on a day the offset changed.
  const guess = midnightAsUtc - offsetAt(midnightAsUtc);
  return new Date(midnightAsUtc - offsetAt(guess));
}

/** The day after (pure calendar arithmetic). */
export function addDays(day: string, count: number): string {
  const { year, month, day: d } = parseDay(day);
  const next = new Date(Date.UTC(year, month - 1, d + count));
  return dayName(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
}

/** The instant an Almaty day ends (the next day's start). */
export function dayEnd(day: string): Date {
  return dayStart(addDays(day, 1));
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The Almaty calendar month containing an instant: [start, end) and its length in days. */
export function operatorMonth(instant: Date): { start: Date; end: Date; days: number; key: string } {
  const t = localTime(instant);
  const first = dayName(t.year, t.month, 1);
  const days = daysInMonth(t.year, t.month);
  return { start: dayStart(first), end: dayStart(addDays(first, days)), days, key: `${pad(t.year, 4)}-${pad(t.month)}` };
}

/** Almaty days [from, to) touches, counting a day begun but not ended (to > from). */
export function daysTouched(from: Date, to: Date): number {
  if (to.getTime() <= from.getTime()) return 0;
  const first = parseDay(operatorDay(from));
  const last = parseDay(operatorDay(new Date(to.getTime() - 1)));
  return Math.round((Date.UTC(last.year, last.month - 1, last.day) - Date.UTC(first.year, first.month - 1, first.day)) / 86_400_000) + 1;
}

/**
 * Day `day`'s share of a monthly fee: the month's fee split over its days so that the shares of a whole month add up
 * to the fee exactly — day i of n pays floor(F·i/n) − floor(F·(i−1)/n), never a fraction of a tiyn.
 */
export function dailyShare(monthlyMinor: number, day: string): number {
  const { year, month, day: i } = parseDay(day);
  const n = daysInMonth(year, month);
  return Math.floor((monthlyMinor * i) / n) - Math.floor((monthlyMinor * (i - 1)) / n);
}

/** 'DD.MM.YYYY' for texts people read. */
export function dayForPeople(day: string): string {
  const { year, month, day: d } = parseDay(day);
  return `${pad(d)}.${pad(month)}.${pad(year, 4)}`;
}
