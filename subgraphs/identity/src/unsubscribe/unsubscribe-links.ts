import type { SubgraphRuntime } from '@selfcare/shared';
import type { ConsentPurposeName } from '../consents/consent.entities';
import type { LinkSigner } from '../links/link-signer';

/** Purposes a link may withdraw: marketing e-mail only (terms 6.4); nothing else can be changed without a login. */
const LINK_PURPOSES: ConsentPurposeName[] = ['MARKETING_EMAIL'];
/** Old e-mails keep working for a long time, but not forever. */
const MAX_AGE_SECONDS = 400 * 24 * 3600;

export interface UnsubscribeClaim {
  subscriberId: string;
  purpose: ConsentPurposeName;
  issuedAt: Date;
}

/**
 * Signed one-click unsubscribe links (terms 6.4, RFC 8058). The token carries the subscriber id and the purpose under the
 * link signer's HMAC, so it cannot be forged, and changing the subscriber or purpose in it breaks the signature
 * — a token is good for its own subscriber only. Using it twice just withdraws again (idempotent).
 */
export class UnsubscribeLinks {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly signer: LinkSigner,
  ) {}

  token(subscriberId: string, purpose: ConsentPurposeName = 'MARKETING_EMAIL'): string {
    return this.signer.sign('unsubscribe', { v: 1, s: subscriberId, p: purpose, iat: Math.floor(this.runtime.clock.now().getTime() / 1000) });
  }

  /** The public link; the public URL is read now (the all-in-one launcher learns it at start). */
  url(subscriberId: string): string {
    const base = this.runtime.platform.publicUrl.replace(/\/+$/, '');
    return `${base}/links/unsubscribe?token=${encodeURIComponent(this.token(subscriberId))}`;
  }

  /** null for anything but an intact, unexpired token of a purpose a link may withdraw. */
  verify(token: unknown): UnsubscribeClaim | null {
    const claims = this.signer.verify('unsubscribe', token);
    if (!claims) return null;
    if (claims.v !== 1 || typeof claims.s !== 'string' || typeof claims.p !== 'string' || typeof claims.iat !== 'number') return null;
    if (!(LINK_PURPOSES as string[]).includes(claims.p)) return null;
    const nowSeconds = this.runtime.clock.now().getTime() / 1000;
    if (claims.iat > nowSeconds + 300 || nowSeconds - claims.iat > MAX_AGE_SECONDS) return null;
    return { subscriberId: claims.s, purpose: claims.p as ConsentPurposeName, issuedAt: new Date(claims.iat * 1000) };
  }
}
