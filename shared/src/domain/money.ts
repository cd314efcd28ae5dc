import type { ValueTransformer } from 'typeorm';

/**
 * Money is kept as integer minor units (tiyn) everywhere; mysql2 returns BIGINT/DECIMAL as strings,
 * so every money column goes through this one transformer.
 */
export const minorUnitsTransformer: ValueTransformer = {
  to: (value: number | null | undefined) => (value === null || value === undefined ? value : Math.trunc(value)),
  from: (value: string | number | null) => {
    if (value === null || value === undefined) return value;
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isSafeInteger(n)) throw new Error(`money column holds a value outside the safe range: ${value}`);
    return n;
  },
};

/** 125000 -> "1250.00" (the contract's Money.amount: a decimal string with two digits, never a float). */
export function formatMinorUnits(minor: number): string {
  const negative = minor < 0;
  const abs = Math.abs(minor);
  const whole = Math.trunc(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${cents}`;
}

/** "1250", "1250.5", "1250.00" -> 125000; null when not an amount with at most two decimals. */
export function parseAmount(text: string): number | null {
  if (typeof text !== 'string' || !/^-?\d{1,13}(\.\d{1,2})?$/.test(text.trim())) return null;
  const [whole, fraction = ''] = text.trim().replace('-', '').split('.');
  const minor = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return text.trim().startsWith('-') ? -minor : minor;
}

export const CURRENCY = 'KZT';
