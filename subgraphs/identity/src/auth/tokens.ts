import { createHash, randomBytes } from 'node:crypto';
import { AccessTokenClaims, Channel, SigningKey, StaffRole, signJwt } from '@selfcare/shared';

export type TokenSubject =
  | { kind: 'subscriber'; subscriberId: string; sessionId: string; channel: Channel }
  | { kind: 'staff'; staffId: string; sessionId: string; role: StaffRole };

/** Short-lived EdDSA access tokens (verified by every service with identity's JWKS) and opaque refresh tokens. */
export class TokenIssuer {
  constructor(
    private readonly key: SigningKey,
    private readonly issuer: () => string,
    readonly accessTtlSeconds: number,
  ) {}

  /** `nowMs` is the platform clock: `iatms` is compared with revocations made with the same clock. */
  async accessToken(subject: TokenSubject, nowMs: number): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.accessTtlSeconds;
    const claims: AccessTokenClaims =
      subject.kind === 'subscriber'
        ? { iss: this.issuer(), sub: subject.subscriberId, sid: subject.sessionId, act: 'subscriber', ch: subject.channel, iat, iatms: nowMs, exp, typ: 'access' }
        : { iss: this.issuer(), sub: subject.staffId, sid: subject.sessionId, act: 'staff', role: subject.role, iat, iatms: nowMs, exp, typ: 'access' };
    return { token: await signJwt(claims, this.key), expiresAt: new Date(exp * 1000) };
  }
}

/** 256 random bits; the server keeps only the SHA-256 (a stolen table yields no usable token). */
export function newRefreshToken(): { token: string; hash: string } {
  const token = `rt_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function looksLikeRefreshToken(token: string): boolean {
  return typeof token === 'string' && /^rt_[A-Za-z0-9_-]{43}$/.test(token);
}
