import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { normalizeMsisdn } from '../domain/msisdn';

/**
 * A plain error, not a GraphQLError: graphql-js then reports it with the offending value's location, so the
 * error formatter can name the argument (`extensions.field`); Apollo marks it BAD_USER_INPUT or validation-failed.
 */
function inputError(message: string): TypeError {
  return new TypeError(message);
}

/**
 * Longest input each scalar reads. A longer value is refused before it is examined, with a message that does not
 * quote it (graphql-js's own quotation of the value is shortened by the error formatter).
 */
export const SCALAR_INPUT_CAPS = { PhoneNumber: 32, DateTime: 64, EmailAddress: 254 } as const;

function capped(scalar: keyof typeof SCALAR_INPUT_CAPS, value: string): string {
  if (value.length > SCALAR_INPUT_CAPS[scalar]) throw inputError(`${scalar} is longer than ${SCALAR_INPUT_CAPS[scalar]} characters`);
  return value;
}

/** Contract `PhoneNumber`: returned as E.164, input accepted in the forms listed on `normalizeMsisdn`. */
export const PhoneNumberScalar = new GraphQLScalarType<string, string>({
  name: 'PhoneNumber',
  description: 'A Kazakhstan number, returned as E.164 "+77051234567"; input also accepts "87051234567", "+7 (705) 123-45-67", "8 705 123 45 67"',
  serialize(value) {
    if (typeof value !== 'string') throw new GraphQLError('PhoneNumber must be a string');
    return value;
  },
  parseValue(value) {
    const normalized = typeof value === 'string' ? normalizeMsisdn(capped('PhoneNumber', value)) : null;
    if (!normalized) throw inputError('Not a Kazakhstan phone number');
    return normalized;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw inputError('PhoneNumber must be a string');
    const normalized = normalizeMsisdn(capped('PhoneNumber', ast.value));
    if (!normalized) throw inputError('Not a Kazakhstan phone number');
    return normalized;
  },
});

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function parseDateTime(text: string): Date {
  if (!rfc3339.test(capped('DateTime', text))) throw inputError('DateTime must be RFC 3339, e.g. 2026-01-31T12:00:00Z');
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw inputError('DateTime is not a valid instant');
  return date;
}

/** Contract `DateTime`: RFC 3339, stored and returned in UTC. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'RFC 3339 instant, returned in UTC',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue(value) {
    if (typeof value !== 'string') throw inputError('DateTime must be a string');
    return parseDateTime(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw inputError('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});

const emailPattern = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normalizeEmail(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed.length > 254 || !emailPattern.test(trimmed)) return null;
  const [local, domain] = trimmed.split('@') as [string, string];
  if (local.length > 64) return null;
  return `${local}@${domain.toLowerCase()}`;
}

/** Contract `EmailAddress`; the domain part is lower-cased. */
export const EmailAddressScalar = new GraphQLScalarType<string, string>({
  name: 'EmailAddress',
  description: 'An e-mail address',
  serialize(value) {
    if (typeof value !== 'string') throw new GraphQLError('EmailAddress must be a string');
    return value;
  },
  parseValue(value) {
    const normalized = typeof value === 'string' ? normalizeEmail(capped('EmailAddress', value)) : null;
    if (!normalized) throw inputError('Not an e-mail address');
    return normalized;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw inputError('EmailAddress must be a string');
    const normalized = normalizeEmail(capped('EmailAddress', ast.value));
    if (!normalized) throw inputError('Not an e-mail address');
    return normalized;
  },
});
