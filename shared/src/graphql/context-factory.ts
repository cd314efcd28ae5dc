import type { Request } from 'express';
import type { TokenVerifier } from '../auth/token-cache';
import { bearerToken } from '../auth/verifier';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { currentRequest } from '../http/request-store';
import { Language, languageInHeader } from '../i18n/language';
import type { Logger } from '../logging/logger';
import type { GraphQLContext } from './context';
import { LoaderRegistry } from './loaders';
import { INTERNAL_TOKEN_HEADER, internalTokenMatches } from '../service/internal-http';

/** What a request says about its caller, whether it came over HTTP or as a websocket subscription. */
export interface CallerHints {
  requestId: string;
  authorization: string | null;
  language: Language;
  /** null when the request named no language of the cabinet (kk, ru, en) */
  requestedLanguage?: Language | null;
  clientAddress: string;
  userAgent: string | null;
}

/**
 * Builds the per-request context of a subgraph: the caller is verified here, on every service, from the
 * forwarded Authorization header; a refused token leaves `caller` null and the reason in `authError`.
 */
export function createContextBuilder(verifier: TokenVerifier, logger: Logger) {
  return async (hints: CallerHints): Promise<GraphQLContext> => {
    let caller: GraphQLContext['caller'] = null;
    let authError: DomainError | null = null;
    const token = bearerToken(hints.authorization);
    if (hints.authorization && !token) authError = new DomainError(ErrorCode.UNAUTHENTICATED, { extensions: { reason: 'malformed Authorization header' } });
    if (token) {
      try {
        caller = (await verifier.verify(token)).caller;
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        authError = error;
      }
    }
    return {
      requestId: hints.requestId,
      language: hints.language,
      requestedLanguage: hints.requestedLanguage ?? null,
      caller,
      authError,
      authorization: hints.authorization,
      clientAddress: hints.clientAddress,
      userAgent: hints.userAgent,
      logger: logger.child({ requestId: hints.requestId }),
      loaders: new LoaderRegistry(),
    };
  };
}

/**
 * The subscriber's address as the gateway saw it (`X-Client-Address`) counts only on requests that carry the
 * internal token, so nobody can pick the address that rate limits and lock-outs are keyed on.
 */
export function clientAddressOf(req: Request, internalToken: string): string {
  const forwarded = req.header('x-client-address');
  if (forwarded && internalTokenMatches(req.header(INTERNAL_TOKEN_HEADER), internalToken)) return forwarded;
  return req.ip ?? 'unknown';
}

export function createContextFactory(verifier: TokenVerifier, logger: Logger, internalToken: string) {
  const build = createContextBuilder(verifier, logger);
  return (req: Request): Promise<GraphQLContext> => {
    const scope = currentRequest();
    return build({
      requestId: scope?.requestId ?? 'unknown',
      authorization: req.header('authorization') ?? null,
      language: scope?.language ?? Language.RU,
      requestedLanguage: languageInHeader(req.header('accept-language')),
      clientAddress: clientAddressOf(req, internalToken),
      userAgent: req.header('user-agent') ?? null,
    });
  };
}
