import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ErrorCode, Language, SubgraphRuntime, SubscriberCaller, isUuid } from '@selfcare/shared';
import type { ActivityService } from '../activity/activity.service';
import { bucketKey, RateLimiter } from '../auth/rate-limiter';
import { identityError, rateLimited } from '../common/errors';
import type { LinkSigner } from '../links/link-signer';
import { SubscriberEntity } from '../subscribers/subscriber.entity';
import { SubscriberService } from '../subscribers/subscriber.service';
import { EmailVerificationEntity } from './email-verification.entity';
import { detail } from '../activity/activity-details';

export const EMAIL_VERIFY_PATH = '/links/email/verify';

const VERIFY_SUBJECT = {
  KK: 'Beeline жеке кабинеті: e-mail мекенжайын растаңыз',
  RU: 'Личный кабинет Beeline: подтвердите адрес e-mail',
  EN: 'Beeline Personal Cabinet: confirm your e-mail address',
};

const VERIFY_BODY = {
  KK: 'Сәлеметсіз бе!\n\nОсы мекенжайды Beeline жеке кабинетіне қосу үшін сілтемені ашыңыз:\n{link}\n\nСілтеме {hours} сағат жарамды. Егер сіз сұрамаған болсаңыз, хатты елемеңіз.',
  RU: 'Здравствуйте!\n\nЧтобы привязать этот адрес к Личному кабинету Beeline, откройте ссылку:\n{link}\n\nСсылка действует {hours} ч. Если вы этого не запрашивали, просто проигнорируйте письмо.',
  EN: 'Hello,\n\nTo link this address to your Beeline Personal Cabinet, open:\n{link}\n\nThe link is valid for {hours} hours. If you did not ask for this, ignore this e-mail.',
};

export type VerificationOutcome = { ok: true; language: Language; email: string } | { ok: false; reason: 'invalid' | 'expired' | 'used' | 'taken'; language: Language | null };

const emailTaken = () =>
  identityError(ErrorCode.CONFLICT, {
    field: 'email',
    texts: {
      KK: 'Бұл e-mail басқа кабинетке тіркелген',
      RU: 'Этот e-mail уже привязан к другому кабинету',
      EN: 'This e-mail is already linked to another cabinet',
    },
  });

/**
 * The e-mail login (terms 1, 3.1.1): an address becomes a login only after the subscriber opened the
 * signed, single-use link sent to it. Until then the previously verified address stays the login.
 */
export class EmailService {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly subscribers: SubscriberService,
    private readonly limiter: RateLimiter,
    private readonly activity: ActivityService,
    private readonly signer: LinkSigner,
    private readonly ttlSeconds: number,
  ) {}

  /** The token of a verification link: the row's id and the expiry, signed. */
  private token(id: string, expiresAt: Date): string {
    return this.signer.sign('email-verification', { v: 1, id, exp: expiresAt.getTime() });
  }

  private parseToken(token: string): { id: string; expiresAt: Date } | null {
    const claims = this.signer.verify('email-verification', token);
    if (!claims || claims.v !== 1 || typeof claims.id !== 'string' || !isUuid(claims.id) || typeof claims.exp !== 'number' || !Number.isSafeInteger(claims.exp)) return null;
    return { id: claims.id, expiresAt: new Date(claims.exp) };
  }

  async setEmail(caller: SubscriberCaller, email: string | null): Promise<SubscriberEntity> {
    if (email !== null) {
      // Each change sends an e-mail: bounded so the cabinet cannot be used to flood someone's mailbox.
      const waitMs = await this.limiter.hit([{ key: bucketKey('set-email', caller.subscriberId), limit: 5, windowMs: 3600_000 }]);
      if (waitMs > 0) throw rateLimited(waitMs / 1000);
    }
    try {
      return await this.runtime.database.transaction(async (manager) => {
        const subscriber = await this.subscribers.lock(manager, caller.subscriberId);
        if (!subscriber) throw identityError(ErrorCode.UNAUTHENTICATED);
        const now = this.runtime.clock.now();
        const actor = { subscriberId: subscriber.id, actorId: caller.subscriberId, actorKind: 'SUBSCRIBER' as const, viaManagement: false, channel: caller.channel };
        let changes: Partial<SubscriberEntity>;
        if (email === null) {
          // terms 5.1: with no address left, EMAIL is no way to reach the subscriber any more; the cabinet remains.
          const notifyBy = (subscriber.notifyBy ?? []).filter((channel) => channel !== 'EMAIL');
          changes = { email: null, emailVerifiedAt: null, verifiedEmail: null, notifyBy: notifyBy.length > 0 ? notifyBy : ['CABINET'], updatedAt: now };
          await this.activity.record(manager, { ...actor, action: 'EMAIL_REMOVED' });
        } else if (email === subscriber.verifiedEmail) {
          changes = { email, emailVerifiedAt: subscriber.emailVerifiedAt ?? now, updatedAt: now };
          await this.activity.record(manager, { ...actor, action: 'EMAIL_SET', detail: detail('EMAIL_ALREADY_VERIFIED') });
        } else {
          const holder = await manager.findOne(SubscriberEntity, { where: { verifiedEmail: email } });
          if (holder && holder.id !== subscriber.id) throw emailTaken();
          changes = { email, emailVerifiedAt: null, updatedAt: now };
          await this.sendVerification(manager, subscriber, email, now);
          await this.activity.record(manager, { ...actor, action: 'EMAIL_SET', detail: detail('EMAIL_LINK_SENT') });
        }
        await manager.update(SubscriberEntity, { id: subscriber.id }, changes);
        return Object.assign(subscriber, changes);
      });
    } catch (error) {
      if (this.runtime.database.isDuplicateKey(error)) throw emailTaken();
      throw error;
    }
  }

  private async sendVerification(manager: EntityManager, subscriber: SubscriberEntity, email: string, now: Date): Promise<void> {
    const expiresAt = new Date(now.getTime() + this.ttlSeconds * 1000);
    const id = randomUUID();
    await manager.insert(EmailVerificationEntity, { id, subscriberId: subscriber.id, email, createdAt: now, expiresAt, usedAt: null });
    const link = `${this.runtime.platform.publicUrl.replace(/\/+$/, '')}${EMAIL_VERIFY_PATH}?token=${encodeURIComponent(this.token(id, expiresAt))}`;
    await this.runtime.notifications.email(manager, {
      to: email,
      language: subscriber.language as Language,
      subject: VERIFY_SUBJECT,
      body: VERIFY_BODY,
      params: { link, hours: Math.round(this.ttlSeconds / 3600) },
    });
  }

  /** Opens a verification link: genuine, unexpired, unused, and still the subscriber's current address. */
  async verify(token: string): Promise<VerificationOutcome> {
    const parsed = this.parseToken(token);
    if (!parsed) return { ok: false, reason: 'invalid', language: null };
    try {
      return await this.runtime.database.transaction(async (manager): Promise<VerificationOutcome> => {
        const lock = this.runtime.database.lockMode;
        const row = await manager.findOne(EmailVerificationEntity, { where: { id: parsed.id }, ...(lock ? { lock } : {}) });
        if (!row) return { ok: false, reason: 'invalid', language: null };
        const subscriber = await this.subscribers.lock(manager, row.subscriberId);
        const language = (subscriber?.language as Language | undefined) ?? null;
        const now = this.runtime.clock.now();
        if (row.usedAt) return { ok: false, reason: 'used', language };
        if (row.expiresAt.getTime() <= now.getTime() || parsed.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', language };
        // The subscriber changed the address since: this older link no longer means anything.
        if (!subscriber || subscriber.email !== row.email || subscriber.erasedAt) return { ok: false, reason: 'invalid', language };
        const holder = await manager.findOne(SubscriberEntity, { where: { verifiedEmail: row.email } });
        if (holder && holder.id !== subscriber.id) return { ok: false, reason: 'taken', language };
        await manager.update(EmailVerificationEntity, { id: row.id }, { usedAt: now });
        await manager.update(SubscriberEntity, { id: subscriber.id }, { verifiedEmail: row.email, emailVerifiedAt: now, updatedAt: now });
        await this.activity.record(manager, {
          subscriberId: subscriber.id,
          actorId: subscriber.id,
          actorKind: 'SUBSCRIBER',
          viaManagement: false,
          channel: null,
          action: 'EMAIL_VERIFIED',
          detail: detail('EMAIL_LINK_OPENED'),
        });
        return { ok: true, language: subscriber.language as Language, email: row.email };
      });
    } catch (error) {
      if (this.runtime.database.isDuplicateKey(error)) return { ok: false, reason: 'taken', language: null };
      throw error;
    }
  }
}
