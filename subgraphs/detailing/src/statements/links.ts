import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkCheck = { ok: true } | { ok: false; reason: 'LINK_INVALID' | 'LINK_EXPIRED' };

/**
 * The signed download link of a statement: `<public url>/statements/<id>?expires=<unix s>&signature=<hex>` with
 * HMAC-SHA256(secret, "<id>.<expires>"). The link is the credential (an e-mailed link carries no token), so it names
 * one statement and stops working at `expires`.
 */
export class StatementLinks {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
    /** Read at each link: the all-in-one launcher learns the gateway's address after the subgraphs start. */
    private readonly publicUrl: string | (() => string),
  ) {}

  /** A link valid `ttlSeconds` from `now`. */
  urlFor(id: string, now: Date): { url: string; expiresAt: Date } {
    const expires = Math.floor(now.getTime() / 1000) + this.ttlSeconds;
    const base = typeof this.publicUrl === 'function' ? this.publicUrl() : this.publicUrl;
    const url = `${base.replace(/\/+$/, '')}/statements/${encodeURIComponent(id)}?expires=${expires}&signature=${this.sign(id, expires)}`;
    return { url, expiresAt: new Date(expires * 1000) };
  }

  sign(id: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${id}.${expires}`).digest('hex');
  }

  /** The signature first (constant time), then the expiry: an expired link tells nothing unless it was ours. */
  check(id: string, expiresParam: unknown, signature: unknown, now: Date): LinkCheck {
    if (typeof expiresParam !== 'string' || !/^\d{1,12}$/.test(expiresParam)) return { ok: false, reason: 'LINK_INVALID' };
    if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'LINK_INVALID' };
    const expires = Number(expiresParam);
    const expected = Buffer.from(this.sign(id, expires), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return { ok: false, reason: 'LINK_INVALID' };
    if (expires * 1000 <= now.getTime()) return { ok: false, reason: 'LINK_EXPIRED' };
    return { ok: true };
  }
}

/** Without STATEMENT_LINK_SECRET: a key derived from the internal token, which every replica of the platform shares. */
export function defaultLinkSecret(internalToken: string): string {
  return createHmac('sha256', internalToken).update('detailing statement links').digest('hex');
}
