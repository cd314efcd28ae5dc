import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { SubgraphRuntime } from '@selfcare/shared';
import type { ConsentPurposeName } from '../consents/consent.entities';
import { LinkSecretEntity } from './link-secret.entity';

/** Purposes a link may withdraw: marketing e-mail only (6.4); nothing else can be changed without a login. */
const LINK_PURPOSES: ConsentPurposeName[] = ['MARKETING_EMAIL'];
const SECRET_NAME = 'unsubscribe-link';
/** Old e-mails keep working for a long time, but not forever. */
const MAX_AGE_SECONDS = 400 * 24 * 3600;
const MAX_TOKEN_LENGTH = 512;

export interface UnsubscribeClaim {
  subscriberId: string;
  purpose: ConsentPurposeName;
  issuedAt: Date;
}

/**
 * Signed one-click unsubscribe links (6.4, RFC 8058). The token carries the subscriber id and the purpose under an
 * HMAC-SHA256 signature, so it cannot be forged, and changing the subscriber or purpose in it breaks the signature
 * — a token is good for its own subscriber only. Using it twice just withdraws again (idempotent).
 * The key comes from configuration (IDENTITY_LINK_SECRET) or, by default, is generated once and kept in identity's
 * database, so links in e-mails already sent survive restarts.
 */
export class UnsubscribeLinks {
  private key: Buffer | null = null;

  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly configuredSecret?: string,
  ) {}

  /** Loads (or creates) the signing key; call inside a transaction, or it opens its own. */
  async ensureKey(manager?: EntityManager): Promise<Buffer> {
    if (this.key) return this.key;
    if (this.configuredSecret) return (this.key = derive(this.configuredSecret));
    const load = async (m: EntityManager) => {
      await m
        .createQueryBuilder()
        .insert()
        .into(LinkSecretEntity)
        .values({ name: SECRET_NAME, secret: randomBytes(32).toString('hex'), createdAt: this.runtime.clock.now() })
        .orIgnore()
        .execute();
      const row = await m.findOneOrFail(LinkSecretEntity, { where: { name: SECRET_NAME } });
      return row.secret;
    };
    const secret = manager ? await load(manager) : await this.runtime.database.transaction(load);
    return (this.key = derive(secret));
  }

  async token(manager: EntityManager, subscriberId: string, purpose: ConsentPurposeName = 'MARKETING_EMAIL'): Promise<string> {
    const key = await this.ensureKey(manager);
    const payload = Buffer.from(
      JSON.stringify({ v: 1, s: subscriberId, p: purpose, iat: Math.floor(this.runtime.clock.now().getTime() / 1000) }),
    ).toString('base64url');
    return `${payload}.${sign(key, payload)}`;
  }

  /** The public link; the public URL is read now (the all-in-one launcher learns it at start). */
  async url(manager: EntityManager, subscriberId: string): Promise<string> {
    const base = this.runtime.platform.publicUrl.replace(/\/+$/, '');
    return `${base}/links/unsubscribe?token=${encodeURIComponent(await this.token(manager, subscriberId))}`;
  }

  /** null for anything but an intact, unexpired token of a purpose a link may withdraw. */
  async verify(token: unknown): Promise<UnsubscribeClaim | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    const parts = token.split('.');
    if (parts.length !== 2) return null;
    const [payload, signature] = parts as [string, string];
    const key = await this.ensureKey();
    const expected = Buffer.from(sign(key, payload), 'base64url');
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let claims: { v?: unknown; s?: unknown; p?: unknown; iat?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (claims.v !== 1 || typeof claims.s !== 'string' || typeof claims.p !== 'string' || typeof claims.iat !== 'number') return null;
    if (!(LINK_PURPOSES as string[]).includes(claims.p)) return null;
    const nowSeconds = this.runtime.clock.now().getTime() / 1000;
    if (claims.iat > nowSeconds + 300 || nowSeconds - claims.iat > MAX_AGE_SECONDS) return null;
    return { subscriberId: claims.s, purpose: claims.p as ConsentPurposeName, issuedAt: new Date(claims.iat * 1000) };
  }
}

function derive(secret: string): Buffer {
  // A key of its own for this link type, even when the configured secret is used for something else too.
  return createHmac('sha256', secret).update('selfcare/identity/unsubscribe-link/v1').digest();
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(`unsubscribe.${payload}`).digest('base64url');
}
