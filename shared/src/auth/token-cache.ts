import { AccessTokenClaims, Caller, callerFromClaims } from './caller';
import type { AccessTokenVerifier } from './verifier';

/** What a service needs of a verifier: a whole check, or the signature (cacheable) and the revocations apart. */
export type TokenVerifier = Pick<AccessTokenVerifier, 'verify' | 'verifySignature' | 'assertNotRevoked'>;

/**
 * Every request's token is verified by the gateway (for logs and metrics) and by each subgraph it reaches (which
 * decide), and every subscription's start by its subgraph. The EdDSA signature check was ~5 % of the gateway's CPU on
 * the home-screen query and ~3 % of the system's with 10,000 subscriptions opening (bench/subscriptions.js), for the
 * same few tokens over and over: the claims of a token whose signature held are kept until the token expires. The
 * revocation store is still asked on every use, so a token cut off by a suspension or a logout (terms 3.3, 4.1) is
 * refused from the next request on, exactly as before.
 * Only tokens that verified are kept (a bad token is checked again each time: no cache of attacker-chosen input
 * beyond `maxEntries`, the oldest going first).
 */
export class CachedTokenVerifier implements TokenVerifier {
  private readonly verified = new Map<string, AccessTokenClaims>();

  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(token: string): Promise<{ caller: Caller; claims: AccessTokenClaims }> {
    const claims = await this.verifySignature(token);
    await this.verifier.assertNotRevoked(claims);
    return { caller: callerFromClaims(claims), claims };
  }

  /** The claims of a token whose signature held, checked once while it lives (expiry still judged on every use). */
  async verifySignature(token: string): Promise<AccessTokenClaims> {
    let claims = this.verified.get(token);
    if (claims && claims.exp * 1000 <= this.now()) {
      this.verified.delete(token);
      claims = undefined;
    }
    if (!claims) {
      claims = await this.verifier.verifySignature(token);
      if (this.verified.size >= this.maxEntries) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
    }
    return claims;
  }

  assertNotRevoked(claims: AccessTokenClaims): Promise<void> {
    return this.verifier.assertNotRevoked(claims);
  }

  get size(): number {
    return this.verified.size;
  }
}
