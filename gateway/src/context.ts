import { Caller, DomainError, bearerToken } from '@selfcare/shared';
import type { TokenVerifier } from '@selfcare/shared';

export interface GatewayContext {
  requestId: string;
  authorization: string | null;
  acceptLanguage: string | null;
  clientAddress: string;
  userAgent: string | null;
  /** When the operation's time budget ends (epoch ms); subgraph calls are cut off then. Unset: a call's own timeout. */
  deadline?: number;
  /** Verified here too, for logs and metrics; the owning subgraph decides what the caller may do. */
  caller: Caller | null;
  /** Why a presented token was refused (expired, revoked…), for the same purpose. */
  tokenRefusal: string | null;
}

/**
 * The gateway's request context, over HTTP or websocket. The token is verified here for logs and metrics but
 * never refused here: the owning subgraph answers with the right code (refreshSession works with a stale token).
 */
export async function gatewayContext(verifier: TokenVerifier, request: Omit<GatewayContext, 'caller' | 'tokenRefusal'>): Promise<GatewayContext> {
  let caller: Caller | null = null;
  let tokenRefusal: string | null = null;
  const token = bearerToken(request.authorization);
  if (token) {
    try {
      caller = (await verifier.verify(token)).caller;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      tokenRefusal = error.code;
    }
  }
  return { ...request, caller, tokenRefusal };
}

/** Who called, as a metric label: subscriber, staff, anonymous, or the code that refused the token. */
export function callerLabel(context: Pick<GatewayContext, 'caller' | 'tokenRefusal'>): string {
  return context.caller?.kind ?? (context.tokenRefusal ? `refused:${context.tokenRefusal}` : 'anonymous');
}

