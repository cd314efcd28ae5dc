import { badInput, formatMinorUnits, Texts } from '@selfcare/shared';

/** "1250", "1250.5", "1250.50" → 125050. Digits, at most two after the point, nothing else (no sign, spaces, exponent). */
const AMOUNT = /^(\d{1,10})(?:\.(\d{1,2}))?$/;

export function amountToMinor(text: string): number | null {
  if (typeof text !== 'string') return null;
  const match = AMOUNT.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

const AMOUNT_TEXTS: Texts = {
  KK: 'Сома {min} мен {max} ₸ аралығындағы, үтірден кейін ең көбі екі таңбасы бар оң сан болуы керек',
  RU: 'Сумма должна быть положительным числом от {min} до {max} ₸, не более двух знаков после точки',
  EN: 'The amount must be a positive number from {min} to {max} KZT with at most two digits after the point',
};

/** The caller's amount in minor units, within [min, max]; else BAD_USER_INPUT on `field` (the limits in the text). */
export function parseAmountWithin(text: string, field: string, minMinor: number, maxMinor: number): number {
  const minor = amountToMinor(text);
  if (minor === null || minor <= 0 || minor < minMinor || minor > maxMinor) {
    throw badInput(field, AMOUNT_TEXTS, { min: formatMinorUnits(minMinor), max: formatMinorUnits(maxMinor) });
  }
  return minor;
}
