import type { Request } from 'express';
import type { AccessTokenVerifier } from '../auth/verifier';
import { bearerToken } from '../auth/verifier';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { currentRequest } from '../http/request-store';
import { Language } from '../i18n/language';
import type { Logger } from '../logging/logger';
import type { GraphQLContext } from './context';
import { LoaderRegistry } from './loaders';

/**
 * Builds the per-request context of a subgraph: the caller is verified here, on every service, from the
 * forwarded Authorization header; a refused token leaves `caller` null and the reason in `authError`.
 */
export function createContextFactory(verifier: AccessTokenVerifier, logger: Logger) {
  return async (req: Request): Promise<GraphQLContext> => {
    const scope = currentRequest();
    const requestId = scope?.requestId ?? 'unknown';
    const authorization = req.header('authorization') ?? null;
    let caller: GraphQLContext['caller'] = null;
    let authError: DomainError | null = null;
    const token = bearerToken(authorization);
    if (authorization && !token) authError = new DomainError(ErrorCode.UNAUTHENTICATED, { extensions: { reason: 'malformed Authorization header' } });
    if (token) {
      try {
        caller = (await verifier.verify(token)).caller;
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        authError = error;
      }
    }
    return {
      requestId,
      language: scope?.language ?? Language.RU,
      caller,
      authError,
      authorization,
      // The gateway forwards the subscriber's address; a direct caller's own address counts otherwise.
      clientAddress: req.header('x-client-address') ?? req.ip ?? 'unknown',
      userAgent: req.header('user-agent') ?? null,
      logger: logger.child({ requestId }),
      loaders: new LoaderRegistry(),
    };
  };
}
