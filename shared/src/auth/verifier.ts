import type { JsonWebKey } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, errors, JWK, jwtVerify, JWTVerifyGetKey } from 'jose';
import { AccessTokenClaims, Caller, callerFromClaims } from './caller';
import { RevocationStore } from './revocation';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

/** Picks the public key for a token's header: jose's JWKS resolvers (a remote set with cache and cooldown, or a local one). */
export type KeySource = JWTVerifyGetKey;

/** Keys held in memory: identity verifies its own tokens without asking itself over HTTP. */
export function localJwksSource(keys: JsonWebKey[]): KeySource {
  return createLocalJWKSet({ keys: keys as JWK[] });
}

export interface JwksFetchOptions {
  /** After a fetch (good or failed) an unknown key id causes no new fetch for this long. */
  cooldownMs?: number;
  timeoutMs?: number;
}

/** The key set could not be fetched: the check cannot be made (SERVICE_UNAVAILABLE), the token is not at fault. */
class KeysUnavailable extends Error {}

/** A token refused before its signature is looked at. */
class Refused extends Error {}

const DEFAULT_COOLDOWN_MS = 30_000;

/**
 * identity's JWKS over HTTP (GET {identity}/.well-known/jwks.json), through jose's remote key set: fetched on first
 * use, kept, and fetched again only for an unknown key id (a rotation), at most once per cooldown. `url` may be a
 * function: in the all-in-one launcher identity's address is known only once it listens.
 * jose spaces refetches after a fetch that worked; while identity is down, the last keys keep answering for the
 * cooldown, so unknown key ids do not each trigger a fetch and known ones keep verifying.
 */
export function httpJwksSource(url: string | (() => string), options: JwksFetchOptions = {}): KeySource {
  const cooldownMs = options.cooldownMs ?? DEFAULT_COOLDOWN_MS;
  let remote: ReturnType<typeof createRemoteJWKSet> | null = null;
  let failedAt = Number.NEGATIVE_INFINITY;
  let lastKnown: KeySource | null = null;
  return async (header, token) => {
    remote ??= createRemoteJWKSet(new URL(typeof url === 'function' ? url() : url), {
      cooldownDuration: cooldownMs,
      // Keys are kept until a token names one we do not have; nothing expires them while identity is down.
      cacheMaxAge: Number.POSITIVE_INFINITY,
      timeoutDuration: options.timeoutMs ?? 5000,
    });
    if (lastKnown && Date.now() - failedAt < cooldownMs) return lastKnown(header, token);
    try {
      return await remote(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)) {
        failedAt = Date.now();
        const jwks = remote.jwks();
        lastKnown = jwks ? createLocalJWKSet(jwks) : null;
      }
      throw error;
    }
  };
}

/** Why jose refused a token, as the `reason` extension says it. */
function reasonOf(error: unknown): string {
  if (error instanceof Refused) return error.message;
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return error.claim === 'exp' ? 'token expired' : 'not an access token';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'unsupported token algorithm';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return 'unknown signing key';
  return 'malformed token';
}

/**
 * Verifies access tokens on every service with jose: EdDSA only, identity's issuer, the key chosen by the token's
 * kid from identity's JWKS (current and previous keys); then the claims' shape and the revocation store.
 */
export class AccessTokenVerifier {
  private readonly keys: KeySource;

  constructor(
    source: KeySource,
    private readonly revocations: RevocationStore,
    private readonly issuer: string,
  ) {
    this.keys = async (header, token) => {
      if (typeof header.kid !== 'string' || header.kid.length === 0) throw new Refused('unsupported token algorithm');
      try {
        return await source(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        throw new KeysUnavailable(error instanceof Error ? error.message : 'token keys unavailable');
      }
    };
  }

  /**
   * Returns the verified caller, or throws UNAUTHENTICATED for a bad token, SERVICE_UNAVAILABLE when the keys or
   * the revocations cannot be read, and the access status code (ACCESS_SUSPENDED…) for a token cut off by a change.
   */
  async verify(token: string): Promise<{ caller: Caller; claims: AccessTokenClaims }> {
    const claims = await this.verifySignature(token);
    await this.assertNotRevoked(claims);
    return { caller: callerFromClaims(claims), claims };
  }

  /**
   * The signature, issuer, expiry and shape of a token, without the revocation store: what does not change while the
   * token lives (a cache of it must still call `assertNotRevoked` on every use).
   */
  async verifySignature(token: string): Promise<AccessTokenClaims> {
    let claims: AccessTokenClaims;
    try {
      const verified = await jwtVerify(token, this.keys, { algorithms: ['EdDSA'], issuer: this.issuer, requiredClaims: ['sub', 'sid', 'iat', 'exp'] });
      claims = verified.payload as unknown as AccessTokenClaims;
    } catch (error) {
      if (error instanceof KeysUnavailable) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { reason: 'token keys unavailable' } });
      throw new DomainError(ErrorCode.UNAUTHENTICATED, { extensions: { reason: reasonOf(error) } });
    }
    if (!isAccessClaims(claims)) throw new DomainError(ErrorCode.UNAUTHENTICATED, { extensions: { reason: 'not an access token' } });
    return claims;
  }

  /** Throws the access status code of a token cut off by a change, SERVICE_UNAVAILABLE when the store is down. */
  async assertNotRevoked(claims: AccessTokenClaims): Promise<void> {
    let revocation;
    try {
      revocation = await this.revocations.find(claims.sub, claims.sid, claims.iatms ?? claims.iat * 1000);
    } catch {
      // Fail closed, with a code the caller can act on: an unreachable revocation store (Redis) must neither let a
      // possibly revoked token through nor turn every authenticated request into a 500.
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { reason: 'token revocations unavailable' } });
    }
    if (revocation) throw new DomainError(revocation.code, { extensions: { reason: 'token revoked' } });
  }
}

/** The claims identity puts in an access token; anything else signed with its key (a refresh token, say) is refused. */
function isAccessClaims(claims: AccessTokenClaims): boolean {
  return (
    claims.typ === 'access' &&
    (claims.act === 'subscriber' || claims.act === 'staff') &&
    typeof claims.sub === 'string' &&
    typeof claims.sid === 'string' &&
    (claims.iatms === undefined || (typeof claims.iatms === 'number' && Number.isFinite(claims.iatms)))
  );
}

export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}
