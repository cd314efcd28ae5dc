import { UsageRejectionReason, normalizeMsisdn } from '@selfcare/shared';
import { Direction, UsageKind } from '../usage/entities';
import type { UsageFacts } from './rating';

/** A record as validated: what it is, whose, and the network's id. */
export interface ValidRecord extends UsageFacts {
  sourceRef: string;
  revision: number;
  /** E.164 of a mobile line, or a home-internet login */
  line: string;
  counterparty: string | null;
}

export type Judged = { ok: true; record: ValidRecord } | { ok: false; reason: UsageRejectionReason; field: string | null; sourceRef: string | null };

/** Longest call or session one record may describe: a day (the network cuts longer ones into several records). */
export const MAX_SECONDS = 24 * 3600;
/** Most bytes one data record may carry: 200 GB. */
export const MAX_BYTES = 200 * 1024 ** 3;
/** Most a priced CHARGE record may take: 1 000 000.00 KZT. */
export const MAX_CHARGE_MINOR = 100_000_000;
/** How far back a record may begin: usage older than this is not ingested (it was billed or lost long ago). */
export const MAX_AGE_DAYS = 400;

const KINDS = new Set<string>(Object.values(UsageKind));
const DIRECTIONS = new Set<string>(Object.values(Direction));
const printable = /^[\x21-\x7e]+$/;
/** Control characters (C0 and DEL): never in a counterparty or a description. */
const hasControl = (text: string) => [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)$/;

const invalid = (field: string, sourceRef: string | null): Judged => ({ ok: false, reason: 'INVALID', field, sourceRef });

/** Empty strings (a CSV's empty cells) count as absent. */
function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function integer(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : NaN;
  if (typeof value === 'string' && /^\d{1,16}$/.test(value)) return Number(value);
  return NaN;
}

function boolish(value: unknown): boolean | null {
  if (value === undefined || value === null || value === '') return false;
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  return null;
}

/**
 * Judges one record on its own (the first fault found), so a bad record never takes the others down: known fields,
 * sane values, an instant not after `now` nor older than MAX_AGE_DAYS. Whether the number is known is asked later.
 */
export function judge(input: Record<string, unknown>, now: Date): Judged {
  const ref = input.sourceRef;
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 100 || !printable.test(ref)) return invalid('sourceRef', null);
  const sourceRef = ref;
  const revision = present(input.revision) ? integer(input.revision) : 0;
  if (revision === null || !Number.isSafeInteger(revision) || revision < 0 || revision > 999_999) return invalid('revision', sourceRef);

  const lineText = input.line;
  if (typeof lineText !== 'string' || lineText.length === 0 || lineText.length > 32) return invalid('line', sourceRef);
  const line = normalizeMsisdn(lineText) ?? (/^\d{6,20}$/.test(lineText) ? lineText : null);
  if (!line) return invalid('line', sourceRef);

  const kind = input.kind;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return invalid('kind', sourceRef);

  const startedText = input.startedAt;
  if (typeof startedText !== 'string' || startedText.length > 40 || !ISO_INSTANT.test(startedText)) return invalid('startedAt', sourceRef);
  const startedAt = new Date(startedText);
  if (Number.isNaN(startedAt.getTime())) return invalid('startedAt', sourceRef);
  if (startedAt.getTime() > now.getTime()) return { ok: false, reason: 'IN_FUTURE', field: 'startedAt', sourceRef };
  if (startedAt.getTime() < now.getTime() - MAX_AGE_DAYS * 86_400_000) return invalid('startedAt', sourceRef);

  const roaming = boolish(input.roaming);
  if (roaming === null) return invalid('roaming', sourceRef);
  let roamingCountry: string | null = null;
  if (present(input.roamingCountry)) {
    if (typeof input.roamingCountry !== 'string' || !/^[A-Z]{2}$/.test(input.roamingCountry) || input.roamingCountry === 'KZ') return invalid('roamingCountry', sourceRef);
    roamingCountry = input.roamingCountry;
  }
  if (roaming !== (roamingCountry !== null)) return invalid('roamingCountry', sourceRef);

  let app: string | null = null;
  if (present(input.app)) {
    if (typeof input.app !== 'string' || !/^[A-Z][A-Z0-9_]{0,31}$/.test(input.app)) return invalid('app', sourceRef);
    app = input.app;
  }

  let direction: Direction | null = null;
  if (kind === UsageKind.CALL || kind === UsageKind.SMS) {
    if (typeof input.direction !== 'string' || !DIRECTIONS.has(input.direction)) return invalid('direction', sourceRef);
    direction = input.direction as Direction;
  } else if (present(input.direction)) return invalid('direction', sourceRef);

  let counterparty: string | null = null;
  if (present(input.counterparty)) {
    const text = input.counterparty;
    if (typeof text !== 'string' || text.length > 64 || hasControl(text)) return invalid('counterparty', sourceRef);
    counterparty = normalizeMsisdn(text) ?? text.trim();
  }

  let seconds: number | null = null;
  if (kind === UsageKind.CALL) {
    seconds = integer(input.seconds);
    if (seconds === null || !Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_SECONDS) return invalid('seconds', sourceRef);
  } else if (present(input.seconds)) return invalid('seconds', sourceRef);

  let bytes: number | null = null;
  if (kind === UsageKind.DATA) {
    bytes = integer(input.bytes);
    if (bytes === null || !Number.isSafeInteger(bytes) || bytes < 0 || bytes > MAX_BYTES) return invalid('bytes', sourceRef);
  } else if (present(input.bytes)) return invalid('bytes', sourceRef);
  if (app !== null && kind !== UsageKind.DATA) return invalid('app', sourceRef);

  let amountMinor: number | null = null;
  let chargeDescription: string | null = null;
  if (kind === UsageKind.CHARGE) {
    amountMinor = integer(input.amountMinor);
    if (amountMinor === null || !Number.isSafeInteger(amountMinor) || amountMinor < 0 || amountMinor > MAX_CHARGE_MINOR) return invalid('amountMinor', sourceRef);
    const text = input.description;
    if (typeof text !== 'string' || text.trim().length === 0 || text.length > 200 || hasControl(text)) return invalid('description', sourceRef);
    chargeDescription = text.trim();
  } else if (present(input.amountMinor)) return invalid('amountMinor', sourceRef);

  return {
    ok: true,
    record: { sourceRef, revision, line, kind: kind as UsageKind, startedAt, direction, counterparty, seconds, bytes, roaming, roamingCountry, app, amountMinor, chargeDescription },
  };
}
