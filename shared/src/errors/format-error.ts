import { GraphQLError, GraphQLFormattedError, Kind } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError } from './domain-error';
import { ErrorCode } from './error-code';
import { Language } from '../i18n/language';
import { messageFor } from './messages';
import { isStorageUnavailable } from './storage-unavailable';
import type { Logger } from '../logging/logger';

const validCodes = new Set<string>(Object.values(ErrorCode));

/**
 * Apollo's automatic persisted queries: clients react to these codes (send the full query, stop using hashes),
 * so they keep their standard code and message rather than becoming BAD_USER_INPUT.
 */
const persistedQueryCodes = new Set(['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

/** Longest caller-facing text (message, detail): graphql-js quotes refused values in full. */
export const MAX_ERROR_TEXT = 500;
/** A quoted value up to this length is echoed whole; longer ones are shortened, and very long ones not shown at all. */
const ECHO_WHOLE = 64;
const ECHO_NONE = 1024;

/**
 * Error texts never carry unbounded input: `Variable "$m" got invalid value "<70,000 characters>"` keeps a short
 * value, shows the start of a longer one and only the length of a very long one, and the whole text is capped.
 */
export function boundErrorText(text: string): string {
  const quoted = text.replace(/"((?:[^"\\]|\\.){65,})"/g, (_whole, value: string) =>
    value.length > ECHO_NONE ? `<${value.length} characters, not shown>` : `"${value.slice(0, ECHO_WHOLE / 2)}…" (${value.length} characters)`,
  );
  return quoted.length > MAX_ERROR_TEXT ? `${quoted.slice(0, MAX_ERROR_TEXT - 1)}…` : quoted;
}

function boundExtensions(extensions: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(extensions).map(([key, value]) => [key, typeof value === 'string' ? boundErrorText(value) : value]));
}

/** Apollo's own codes mapped onto the contract's. */
const apolloCodes: Record<string, ErrorCode> = {
  GRAPHQL_PARSE_FAILED: ErrorCode.BAD_USER_INPUT,
  GRAPHQL_VALIDATION_FAILED: ErrorCode.BAD_USER_INPUT,
  BAD_USER_INPUT: ErrorCode.BAD_USER_INPUT,
  BAD_REQUEST: ErrorCode.BAD_USER_INPUT,
  OPERATION_RESOLUTION_FAILURE: ErrorCode.BAD_USER_INPUT,
  UNAUTHENTICATED: ErrorCode.UNAUTHENTICATED,
  FORBIDDEN: ErrorCode.FORBIDDEN,
};

/**
 * One error format for every subgraph and the gateway: a contract ErrorCode, the caller's language,
 * `extensions.field` where an argument is at fault, and never a stack trace or an internal message.
 */
export function createErrorFormatter(logger: Logger, languageOf: () => Language = () => Language.RU) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
    // A DomainError thrown by a resolver (unwrapped above), or carried by an error raised outside execution
    // (request limits, the gateway's subgraph calls).
    const domain = original instanceof DomainError ? original : original instanceof GraphQLError && original.originalError instanceof DomainError ? original.originalError : null;
    if (domain) {
      const gql = domain.toGraphQLError(languageOf());
      return { message: gql.message, ...base, extensions: gql.extensions };
    }
    const code = String(formatted.extensions?.code ?? '');
    if (persistedQueryCodes.has(code)) return { message: formatted.message, ...base, extensions: { code } };
    // A BAD_USER_INPUT a subgraph already formatted (the gateway tags it with serviceName) keeps the subgraph's own
    // text, e.g. "Неверный курсор"; only Apollo's and graphql-js's English texts get the generic localized one.
    const fromSubgraph = typeof formatted.extensions?.serviceName === 'string';
    if (validCodes.has(code) && code !== ErrorCode.INTERNAL && (code !== 'BAD_USER_INPUT' || fromSubgraph)) {
      // Already in the contract's form (e.g. forwarded by a subgraph through the gateway).
      const { stacktrace: _s, exception: _e, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
      return { message: boundErrorText(formatted.message), ...base, extensions: boundExtensions(extensions) };
    }
    const mapped = apolloCodes[code];
    if (mapped) {
      const field =
        (formatted.extensions?.field as string | undefined) ??
        (original instanceof GraphQLError ? argumentNameOf(original) : undefined) ??
        fieldFromMessage(formatted.message);
      if (mapped === ErrorCode.BAD_USER_INPUT) {
        // graphql-js texts are English and technical: a localized message, the original kept as `detail`.
        const message = messageFor(ErrorCode.BAD_USER_INPUT, languageOf());
        return {
          message: field ? `${message}: ${field}` : message,
          ...base,
          extensions: { code: mapped, ...(field ? { field } : {}), detail: boundErrorText(formatted.message) },
        };
      }
      return { message: boundErrorText(formatted.message), ...base, extensions: { code: mapped } };
    }
    if (original instanceof GraphQLError && formatted.extensions?.code === undefined && (!original.originalError || isVariableCoercionError(original))) {
      // A validation-style error raised by graphql-js itself (no code): the request was at fault.
      const field = argumentNameOf(original) ?? fieldFromMessage(formatted.message);
      return { message: boundErrorText(formatted.message), ...base, extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } };
    }
    // Apollo moves `extensions.http` into the response head before formatting: read it off the error itself.
    const status = original instanceof GraphQLError ? (original.extensions?.http as { status?: unknown } | undefined)?.status : undefined;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Apollo refusing the request itself (e.g. an unsupported persisted-query version) with no code of its own.
      return {
        message: messageFor(ErrorCode.BAD_USER_INPUT, languageOf()),
        ...base,
        extensions: { code: ErrorCode.BAD_USER_INPUT, detail: boundErrorText(formatted.message) },
      };
    }
    if (isStorageUnavailable(original)) {
      // The database or Redis is away (a restart, a failover): retryable, and never the driver's text.
      logger.warn({ err: original, path: formatted.path }, 'storage unavailable');
      return { message: messageFor(ErrorCode.SERVICE_UNAVAILABLE, languageOf()), ...base, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, reason: 'storage unavailable' } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in resolver');
    return { message: messageFor(ErrorCode.INTERNAL, languageOf()), ...base, extensions: { code: ErrorCode.INTERNAL } };
  };
}

/**
 * A variable value graphql-js refused while coercing it (`Variable "$id" got invalid value …`). A scalar's own
 * parse error becomes its `originalError`, so it would pass for a resolver failure; Apollo does this mapping over
 * HTTP, but not graphql-ws.
 */
function isVariableCoercionError(error: GraphQLError): boolean {
  return error.nodes?.length === 1 && error.nodes[0]!.kind === Kind.VARIABLE_DEFINITION && error.path === undefined;
}

/** Pulls the argument or variable name out of graphql-js messages such as `Variable "$msisdn" got invalid value`. */
export function fieldFromMessage(message: string): string | undefined {
  const variable = /Variable "\$(\w+)"/.exec(message);
  if (variable) return variable[1];
  const argument = /Argument "(\w+)"/.exec(message) ?? /argument "(\w+)"/.exec(message);
  if (argument) return argument[1];
  return undefined;
}

/**
 * The argument a bad value was given for (contract: `extensions.field`): for an inline literal, the name before
 * the value's position; for a variable, the argument the variable is passed to.
 */
export function argumentNameOf(error: GraphQLError): string | undefined {
  const body = error.source?.body;
  if (!body) return undefined;
  const variable = /Variable "\$(\w+)"/.exec(error.message)?.[1];
  if (variable) {
    for (let at = body.indexOf(`$${variable}`); at !== -1; at = body.indexOf(`$${variable}`, at + 1)) {
      if (/\w/.test(body.charAt(at + variable.length + 1))) continue; // $m is not $msisdn
      const name = argumentBefore(body, at);
      if (name) return name;
    }
    return variable;
  }
  const position = error.positions?.[0];
  if (position === undefined) return undefined;
  return argumentBefore(body, position);
}

/**
 * The `name:` just before a position. Only a short window is searched: a regular expression over the whole document
 * backtracks quadratically on a long name (a 90,000-character alias took 2.5 s).
 */
function argumentBefore(body: string, position: number): string | undefined {
  return /(\w{1,128})\s*:\s*$/.exec(body.slice(Math.max(0, position - 160), position))?.[1];
}
