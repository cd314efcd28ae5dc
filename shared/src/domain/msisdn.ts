/**
 * Kazakhstan subscriber numbers (terms 1, "Login": the DEF-code form, e.g. +7 705 …).
 * Accepted inputs (contract `PhoneNumber`): "+77051234567", "87051234567", "+7 (705) 123-45-67",
 * "8 705 123 45 67" and the same with single spaces, hyphens or brackets; anything else is rejected.
 * Kazakhstan's numbers in the shared +7 zone start with 6 or 7 after the country code; 9xx etc. are Russia's.
 */
const allowedCharacters = /^[+\d\s()-]+$/;

export function normalizeMsisdn(input: string): string | null {
  if (typeof input !== 'string') return null;
  const trimmed = input.trim();
  if (trimmed.length === 0 || trimmed.length > 24 || !allowedCharacters.test(trimmed)) return null;
  // A '+' may only lead; brackets must pair around the 3-digit code.
  if (trimmed.indexOf('+') > 0 || (trimmed.match(/\+/g)?.length ?? 0) > 1) return null;
  const open = trimmed.indexOf('(');
  const close = trimmed.indexOf(')');
  if ((open === -1) !== (close === -1)) return null;
  if (open !== -1 && !/\(\d{3}\)/.test(trimmed)) return null;
  if (/[\s-]{2,}/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, '');
  let national: string;
  if (trimmed.startsWith('+')) {
    if (digits.length !== 11 || !digits.startsWith('7')) return null;
    national = digits.slice(1);
  } else if (digits.length === 11 && digits.startsWith('8')) {
    national = digits.slice(1);
  } else {
    return null;
  }
  if (!/^[67]\d{9}$/.test(national)) return null;
  return `+7${national}`;
}

/** "+77051234567" -> "+7 705 *** ** 67": for logs and messages that must not expose the whole number. */
export function maskMsisdn(msisdn: string): string {
  return `${msisdn.slice(0, 2)} ${msisdn.slice(2, 5)} *** ** ${msisdn.slice(-2)}`;
}
