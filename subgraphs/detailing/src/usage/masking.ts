/**
 * The one masking of counterparties (terms 2.5, 4.3): a manager reads the managed number's detailing (usage and
 * statements), but the other party of a call or SMS is a third person, so their number shows only in part
 * (`+7701***4567`: the operator code and the last four digits); the owner sees them whole. Other counterparties
 * (a data session's service, a short number) are no one's personal number and stay as they are.
 */
export function maskCounterparty(counterparty: string | null): string | null {
  if (counterparty === null || !/^\+?\d{10,15}$/.test(counterparty)) return counterparty;
  const head = counterparty.startsWith('+') ? 5 : 4;
  return `${counterparty.slice(0, head)}***${counterparty.slice(-4)}`;
}
