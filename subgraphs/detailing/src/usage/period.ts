import { Texts, badInput } from '@selfcare/shared';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The longest period one detailing query may cover. */
export const MAX_PERIOD_DAYS = 92;

/** Kazakhstan keeps one time zone, UTC+5, country-wide (since 1 March 2024): tariff months start at local midnight. */
export const KAZAKHSTAN_UTC_OFFSET_MS = 5 * 60 * 60 * 1000;

const periodOrder: Texts = {
  KK: 'Кезеңнің соңы басынан кейін болуы керек',
  RU: 'Конец периода должен быть позже его начала',
  EN: 'The end of the period must be after its start',
};

const periodLength: Texts = {
  KK: 'Кезең {days} күннен аспауы керек',
  RU: 'Период не может быть длиннее {days} дней',
  EN: 'The period may span at most {days} days',
};

/** A detailing period is [from, to): `to` after `from`, at most MAX_PERIOD_DAYS long. */
export function validatePeriod(from: Date, to: Date): void {
  if (!(from.getTime() < to.getTime())) throw badInput('to', periodOrder);
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY_MS) throw badInput('from', periodLength, { days: MAX_PERIOD_DAYS });
}

/** The tariff month (allowance period) containing `now`: calendar month in Kazakhstan time. */
export function allowancePeriodOf(now: Date): { start: Date; end: Date } {
  const local = new Date(now.getTime() + KAZAKHSTAN_UTC_OFFSET_MS);
  const start = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - KAZAKHSTAN_UTC_OFFSET_MS;
  const end = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1) - KAZAKHSTAN_UTC_OFFSET_MS;
  return { start: new Date(start), end: new Date(end) };
}

/**
 * The Almaty calendar day (YYYY-MM-DD) of an instant, by the fixed UTC+5 offset: the same as the kit's `operatorDay`
 * for every instant since 1 March 2024, and a thousand times cheaper than its Intl formatting — rating calls it per
 * record (ingestion takes nothing older than MAX_AGE_DAYS).
 */
export function almatyDay(instant: Date): string {
  return new Date(instant.getTime() + KAZAKHSTAN_UTC_OFFSET_MS).toISOString().slice(0, 10);
}
