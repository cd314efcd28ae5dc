import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock, Database } from '@selfcare/shared';
import { LinkSecretEntity } from './link-secret.entity';

/** What a signed link is for; each kind signs with a key of its own, so a token of one kind never passes as another. */
export type LinkKind = 'unsubscribe' | 'email-verification';

const SECRET_NAME = 'unsubscribe-link';
const MAX_TOKEN_LENGTH = 512;

/**
 * The key material of every signed link identity sends (e-mail verification, one-click unsubscribe):
 * IDENTITY_LINK_SECRET when configured, else a secret generated once and kept in identity's database, so links in
 * e-mails already sent keep working across restarts, replicas and a rotation of the token signing key.
 */
export async function loadLinkSecret(database: Database, clock: Clock, configured: string | null): Promise<string> {
  if (configured) return configured;
  return database.transaction(async (manager) => {
    // Replicas starting together: the first insert wins, every one reads the same row.
    await manager
      .createQueryBuilder()
      .insert()
      .into(LinkSecretEntity)
      .values({ name: SECRET_NAME, secret: randomBytes(32).toString('hex'), createdAt: clock.now() })
      .orIgnore()
      .execute();
    return (await manager.findOneOrFail(LinkSecretEntity, { where: { name: SECRET_NAME } })).secret;
  });
}

/**
 * Signed link tokens: `<claims as JSON, base64url>.<HMAC-SHA256 over "<kind>.<claims>", base64url>`, with a key per
 * kind derived from the one secret. A forged or altered token, or one of another kind, is refused without touching
 * the database; what the claims point to (a single-use row, a subscriber) is checked by the caller.
 */
export class LinkSigner {
  private readonly keys = new Map<LinkKind, Buffer>();

  constructor(private readonly secret: string) {}

  private key(kind: LinkKind): Buffer {
    let key = this.keys.get(kind);
    if (!key) {
      // `selfcare/identity/unsubscribe-link/v1` is the derivation unsubscribe links were first signed with.
      key = createHmac('sha256', this.secret).update(`selfcare/identity/${kind}-link/v1`).digest();
      this.keys.set(kind, key);
    }
    return key;
  }

  private mac(kind: LinkKind, payload: string): Buffer {
    return createHmac('sha256', this.key(kind)).update(`${kind}.${payload}`).digest();
  }

  sign(kind: LinkKind, claims: Record<string, unknown>): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${this.mac(kind, payload).toString('base64url')}`;
  }

  /** The claims of an intact token of this kind, or null. */
  verify(kind: LinkKind, token: unknown): Record<string, unknown> | null {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    const parts = token.split('.');
    if (parts.length !== 2) return null;
    const [payload, signature] = parts as [string, string];
    const expected = this.mac(kind, payload);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
}
