import { AccessTokenVerifier, Caller, DomainError, bearerToken } from '@selfcare/shared';

export interface GatewayContext {
  requestId: string;
  authorization: string | null;
  acceptLanguage: string | null;
  clientAddress: string;
  userAgent: string | null;
  /** Verified here too, for logs and metrics; the owning subgraph decides what the caller may do. */
  caller: Caller | null;
}

/**
 * The gateway's request context, over HTTP or websocket. The token is verified here for logs and metrics but
 * never refused here: the owning subgraph answers with the right code (refreshSession works with a stale token).
 */
export async function gatewayContext(verifier: AccessTokenVerifier, request: Omit<GatewayContext, 'caller'>): Promise<GatewayContext> {
  let caller: Caller | null = null;
  const token = bearerToken(request.authorization);
  if (token) {
    try {
      caller = (await verifier.verify(token)).caller;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
  }
  return { ...request, caller };
}

