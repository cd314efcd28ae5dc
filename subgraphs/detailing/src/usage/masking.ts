/**
 * The one masking of counterparties (terms 2.5): a manager (terms 4.3) sees the owner's usage, but the other party of
 * a call or SMS is a third person, so their number shows only its first five and last two characters
 * (+7705*****67). What is not a number (a data session's service) is shown as it is.
 */
export function maskCounterparty(counterparty: string | null): string | null {
  if (counterparty === null) return null;
  const digits = counterparty.replace(/\D/g, '');
  if (digits.length < 7 || !/^\+?[\d\s()-]+$/.test(counterparty)) return counterparty;
  const compact = counterparty.replace(/[\s()-]/g, '');
  return `${compact.slice(0, 5)}${'*'.repeat(Math.max(compact.length - 7, 1))}${compact.slice(-2)}`;
}
