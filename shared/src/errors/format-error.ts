import { GraphQLError, GraphQLFormattedError, Kind } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError } from './domain-error';
import { ErrorCode } from './error-code';
import { Language } from '../i18n/language';
import { messageFor } from './messages';
import type { Logger } from '../logging/logger';

const validCodes = new Set<string>(Object.values(ErrorCode));

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

/** Automatic persisted queries: clients resend the whole query on exactly these codes and texts, so both stay. */
const persistedQueryCodes = new Set(['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

/**
 * One error format for every subgraph and the gateway: a contract ErrorCode, the caller's language,
 * `extensions.field` where an argument is at fault, and never a stack trace or an internal message.
 */
export function createErrorFormatter(logger: Logger, languageOf: () => Language = () => Language.RU) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
    if (original instanceof DomainError) {
      const gql = original.toGraphQLError(languageOf());
      return { message: gql.message, ...base, extensions: gql.extensions };
    }
    const code = String(formatted.extensions?.code ?? '');
    // A BAD_USER_INPUT a subgraph already formatted (the gateway tags it with serviceName) keeps the subgraph's own
    // text, e.g. "Неверный курсор"; only Apollo's and graphql-js's English texts get the generic localized one.
    const fromSubgraph = typeof formatted.extensions?.serviceName === 'string';
    if (validCodes.has(code) && code !== ErrorCode.INTERNAL && (code !== 'BAD_USER_INPUT' || fromSubgraph)) {
      // Already in the contract's form (e.g. forwarded by a subgraph through the gateway).
      const { stacktrace: _s, exception: _e, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
      return { message: formatted.message, ...base, extensions };
    }
    if (persistedQueryCodes.has(code)) return { message: formatted.message, ...base, extensions: { code } };
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
          extensions: { code: mapped, ...(field ? { field } : {}), detail: formatted.message },
        };
      }
      return { message: formatted.message, ...base, extensions: { code: mapped } };
    }
    if (original instanceof GraphQLError && formatted.extensions?.code === undefined && (!original.originalError || isVariableCoercionError(original))) {
      // A validation-style error raised by graphql-js itself (no code): the request was at fault.
      const field = argumentNameOf(original) ?? fieldFromMessage(formatted.message);
      return { message: formatted.message, ...base, extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } };
    }
    const status = original instanceof GraphQLError ? (original.extensions?.http as { status?: number } | undefined)?.status : undefined;
    if (status !== undefined && status >= 400 && status < 500) {
      // Apollo refused the request itself without a code of its own (a persisted query's bad version or hash).
      return { message: messageFor(ErrorCode.BAD_USER_INPUT, languageOf()), ...base, extensions: { code: ErrorCode.BAD_USER_INPUT, detail: formatted.message } };
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
    return new RegExp(`(\\w+)\\s*:\\s*\\$${variable}\\b`).exec(body)?.[1] ?? variable;
  }
  const position = error.positions?.[0];
  if (position === undefined) return undefined;
  return /(\w+)\s*:\s*$/.exec(body.slice(0, position))?.[1];
}
