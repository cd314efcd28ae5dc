import type { KeyObject } from 'node:crypto';
import { JsonWebKey } from 'node:crypto';
import { AccessTokenClaims, Caller, callerFromClaims } from './caller';
import { JwtError, publicKeyFromJwk, verifyJwt } from './jwt';
import { RevocationStore } from './revocation';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

export type KeySource = () => Promise<JsonWebKey[]>;

/** Fetches identity's JWKS over HTTP (GET {identity}/.well-known/jwks.json). */
export function httpJwksSource(url: string, fetchImpl: typeof fetch = fetch): KeySource {
  return async () => {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`JWKS fetch from ${url} answered ${response.status}`);
    const body = (await response.json()) as { keys?: JsonWebKey[] };
    return body.keys ?? [];
  };
}

/**
 * Verifies access tokens on every service. Keys are cached and fetched again only for an unknown kid
 * (key rotation), at most once every `refetchIntervalMs`.
 */
export class AccessTokenVerifier {
  private keys = new Map<string, KeyObject>();
  private lastFetch = 0;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly source: KeySource,
    private readonly revocations: RevocationStore,
    private readonly issuer: string,
    private readonly refetchIntervalMs = 30_000,
  ) {}

  private async refresh(force: boolean): Promise<void> {
    if (!force && Date.now() - this.lastFetch < this.refetchIntervalMs) return;
    this.pending ??= (async () => {
      try {
        const jwks = await this.source();
        const next = new Map<string, KeyObject>();
        for (const jwk of jwks) {
          const kid = (jwk as { kid?: string }).kid;
          if (kid) next.set(kid, publicKeyFromJwk(jwk));
        }
        this.keys = next;
      } finally {
        // Also after a failure: while identity is down, unknown key ids must not each trigger a fetch.
        this.lastFetch = Date.now();
        this.pending = null;
      }
    })();
    await this.pending;
  }

  /**
   * Returns the verified caller, or throws UNAUTHENTICATED for a bad token, and the access status
   * code (ACCESS_SUSPENDED…) for a token cut off by a status change.
   */
  async verify(token: string): Promise<{ caller: Caller; claims: AccessTokenClaims }> {
    const kid = peekKid(token);
    if (kid && !this.keys.has(kid)) {
      try {
        await this.refresh(this.keys.size === 0);
      } catch (error) {
        throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { reason: 'token keys unavailable' } });
      }
    }
    let claims: AccessTokenClaims;
    try {
      claims = verifyJwt<AccessTokenClaims>(token, (k) => this.keys.get(k));
    } catch (error) {
      if (error instanceof JwtError) throw new DomainError(ErrorCode.UNAUTHENTICATED, { extensions: { reason: error.message } });
      throw error;
    }
    if (claims.iss !== this.issuer || claims.typ !== 'access') {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, { extensions: { reason: 'not an access token' } });
    }
    let revocation;
    try {
      revocation = await this.revocations.find(claims.sub, claims.sid, claims.iatms ?? claims.iat * 1000);
    } catch {
      // Fail closed, with a code the caller can act on: an unreachable revocation store (Redis) must neither let a
      // possibly revoked token through nor turn every authenticated request into a 500.
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { reason: 'token revocations unavailable' } });
    }
    if (revocation) throw new DomainError(revocation.code, { extensions: { reason: 'token revoked' } });
    return { caller: callerFromClaims(claims), claims };
  }
}

function peekKid(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown } | null;
    return typeof header?.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}
