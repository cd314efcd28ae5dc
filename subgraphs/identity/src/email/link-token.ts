import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring link tokens (e-mail verification): `<id>.<expiry, base36 ms>.<HMAC-SHA256, base64url>`.
 * The id points to a single-use row; the signature rejects forged or altered tokens without touching the database.
 */
export class LinkSigner {
  private readonly key: Buffer;

  constructor(secret: string | Buffer, private readonly purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'selfcare-identity-links', purpose, 32));
  }

  private mac(id: string, expiresMs: number): string {
    return createHmac('sha256', this.key).update(`${this.purpose}|${id}|${expiresMs}`).digest('base64url');
  }

  sign(id: string, expiresAt: Date): string {
    const expiresMs = expiresAt.getTime();
    return `${id}.${expiresMs.toString(36)}.${this.mac(id, expiresMs)}`;
  }

  /** The id and expiry of a genuine token, or null (the caller still checks expiry with its clock). */
  verify(token: string): { id: string; expiresAt: Date } | null {
    if (typeof token !== 'string' || token.length > 200) return null;
    const match = /^([0-9a-f-]{36})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return null;
    const [, id, expiry, signature] = match as unknown as [string, string, string, string];
    const expiresMs = parseInt(expiry, 36);
    const expected = Buffer.from(this.mac(id, expiresMs));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    return { id, expiresAt: new Date(expiresMs) };
  }
}
