import type { UsageRecordInput } from './types';

/** "1250", "1250.5", "1250.50" → 125050; anything else null (judged INVALID). */
export function amountToMinor(text: string): number | null {
  const match = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(text.trim());
  return match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : null;
}

/** A staff mutation's record in the wire form every ingestion path shares (POST /internal/usage/ingest). */
export function wireOf(input: UsageRecordInput): Record<string, unknown> {
  const amountMinor = input.amount === null || input.amount === undefined ? null : (amountToMinor(input.amount) ?? 'invalid');
  return {
    sourceRef: input.sourceRef,
    revision: input.revision ?? null,
    line: input.line,
    kind: input.kind,
    startedAt: input.startedAt.toISOString(),
    direction: input.direction ?? null,
    counterparty: input.counterparty ?? null,
    seconds: input.seconds ?? null,
    bytes: input.bytes ?? null,
    roaming: input.roaming ?? false,
    roamingCountry: input.roamingCountry ?? null,
    app: input.app ?? null,
    amountMinor,
    description: input.description ?? null,
  };
}
