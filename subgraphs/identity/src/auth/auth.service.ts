import { ErrorCode, GraphQLContext, Language, maskMsisdn, SubgraphRuntime, SubscriberCaller, identityEvents } from '@selfcare/shared';
import type { Counter } from 'prom-client';
import { identityError, rateLimited } from '../common/errors';
import type { ActivityService } from '../activity/activity.service';
import type { ConsentService } from '../consents/consent.service';
import type { TermsService } from '../terms/terms.service';
import { SessionService } from '../sessions/session.service';
import { SessionEntity } from '../sessions/session.entity';
import { describeDevice, DeviceDescription } from '../sessions/device';
import { SubscriberEntity } from '../subscribers/subscriber.entity';
import { parseLogin, SubscriberService } from '../subscribers/subscriber.service';
import { accessRefusal } from '../subscribers/access.service';
import type { IdentitySettings } from '../settings';
import { encodeSpec, KdfSpec, keysEqual, parseSpec, PasswordHasher } from './kdf';
import { assertAcceptablePassword, generatePassword, MAX_PASSWORD_LENGTH } from './passwords';
import type { LoginThrottle } from './login-throttle';
import { throttleAddress } from './login-throttle';
import { bucketKey, RateLimiter } from './rate-limiter';
import { TokenIssuer } from './tokens';
import { detail } from '../activity/activity-details';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: Date;
  subscriber: SubscriberEntity;
}

const PASSWORD_SMS = {
  KK: 'Beeline жеке кабинетіне кіру құпиясөзі: {password}. Оны ешкімге айтпаңыз.',
  RU: 'Пароль для входа в Личный кабинет Beeline: {password}. Никому его не сообщайте.',
  EN: 'Your Beeline Personal Cabinet password: {password}. Do not share it with anyone.',
};

/** Sent instead of a password to a number whose access is not active: the owner learns why, nobody else learns anything. */
const NO_ACCESS_SMS = {
  SUSPENDED: {
    KK: 'Beeline жеке кабинетіне қол жеткізу уақытша тоқтатылды. Толығырақ Beeline кеңсесінде.',
    RU: 'Доступ к Личному кабинету Beeline приостановлен. Подробности в офисе Beeline.',
    EN: 'Access to the Beeline Personal Cabinet is suspended. Details at a Beeline office.',
  },
  BLOCKED: {
    KK: 'Beeline жеке кабинетіне қол жеткізу бұғатталған. Толығырақ Beeline кеңсесінде.',
    RU: 'Доступ к Личному кабинету Beeline заблокирован. Подробности в офисе Beeline.',
    EN: 'Access to the Beeline Personal Cabinet is blocked. Details at a Beeline office.',
  },
  TERMINATED: {
    KK: 'Шарт тоқтатылған, Beeline жеке кабинеті қолжетімсіз.',
    RU: 'Договор расторгнут, Личный кабинет Beeline недоступен.',
    EN: 'The contract has ended; the Beeline Personal Cabinet is not available.',
  },
};

type Matched = 'PASSWORD' | 'PENDING' | null;

/**
 * Registration and login (terms 1, 3.1.1, 3.1.2, 3.3), refresh, logout and password change (terms 4.1).
 * KDF work always happens outside database transactions (SQLite runs them one at a time).
 */
export class AuthService {
  private readonly logins: Counter<'outcome'>;
  private readonly passwordRequests: Counter<'outcome'>;

  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly settings: IdentitySettings,
    private readonly hasher: PasswordHasher,
    private readonly limiter: RateLimiter,
    private readonly throttle: LoginThrottle,
    private readonly tokens: TokenIssuer,
    private readonly sessions: SessionService,
    private readonly subscribers: SubscriberService,
    private readonly activity: ActivityService,
    private readonly consents: ConsentService,
    private readonly terms: TermsService,
  ) {
    this.logins = runtime.metrics.counter('identity_logins_total', 'Subscriber logins by outcome', ['outcome']);
    this.passwordRequests = runtime.metrics.counter('identity_password_requests_total', 'Password SMS requests by outcome', ['outcome']);
  }

  private now(): Date {
    return this.runtime.clock.now();
  }

  /**
   * terms 3.1.1: a newly generated password by SMS, in the subscriber's language, queued in the transaction that
   * stores its hash. The answer is `true` whether or not the number is a subscriber's, after the same work
   * (one KDF evaluation), and the limits count per number and per client address, so nothing can be enumerated.
   * The new password replaces an earlier SMS password at once; the current password keeps working until the
   * new one is first used, so a stranger asking for a password cannot lock the owner out.
   */
  async requestPassword(msisdn: string, ctx: GraphQLContext): Promise<boolean> {
    const limits = this.settings.rateLimits;
    const waitMs = await this.limiter.hit([
      { key: bucketKey('password-cooldown', msisdn), limit: 1, windowMs: limits.passwordRequestCooldownSeconds * 1000 },
      { key: bucketKey('password-number', msisdn), limit: limits.passwordRequestsPerNumberPerHour, windowMs: 3600_000 },
      { key: bucketKey('password-address', throttleAddress(ctx.clientAddress)), limit: limits.passwordRequestsPerAddressPerHour, windowMs: 3600_000 },
    ]);
    if (waitMs > 0) {
      this.passwordRequests.inc({ outcome: 'rate_limited' });
      throw rateLimited(waitMs / 1000);
    }
    const subscriber = await this.subscribers.findByLogin({ kind: 'msisdn', value: msisdn });
    if (!subscriber || subscriber.kind !== 'MOBILE' || subscriber.erasedAt) {
      await this.hasher.derive(generatePassword(), this.hasher.decoy);
      this.passwordRequests.inc({ outcome: 'unknown_number' });
      ctx.logger.info({ msisdn: maskMsisdn(msisdn) }, 'password requested for a number that is not a subscriber');
      return true;
    }
    if (subscriber.accessStatus !== 'ACTIVE') {
      await this.hasher.derive(generatePassword(), this.hasher.decoy);
      await this.runtime.database.transaction(async (manager) => {
        await this.runtime.notifications.sms(manager, {
          to: msisdn,
          language: subscriber.language as Language,
          texts: NO_ACCESS_SMS[subscriber.accessStatus as 'SUSPENDED' | 'BLOCKED' | 'TERMINATED'],
        });
      });
      this.passwordRequests.inc({ outcome: 'no_access' });
      return true;
    }
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const password = generatePassword();
      // The pending password shares the current password's KDF spec: a login then costs one evaluation.
      const spec = this.credentialSpec(subscriber);
      const hash = await this.hasher.derive(password, spec);
      const stored = await this.runtime.database.transaction(async (manager) => {
        const locked = await this.subscribers.lock(manager, subscriber.id);
        if (!locked || locked.accessStatus !== 'ACTIVE') return 'gone' as const;
        if (locked.passwordKdf !== subscriber.passwordKdf) {
          subscriber.passwordKdf = locked.passwordKdf; // changed meanwhile: derive again with the new spec
          return 'retry' as const;
        }
        const now = this.now();
        await manager.update(SubscriberEntity, { id: locked.id }, {
          passwordKdf: encodeSpec(spec),
          pendingPasswordHash: hash,
          pendingPasswordExpiresAt: new Date(now.getTime() + this.settings.smsPasswordTtlSeconds * 1000),
          updatedAt: now,
        });
        await this.runtime.notifications.sms(manager, { to: msisdn, language: locked.language as Language, texts: PASSWORD_SMS, params: { password } });
        await this.activity.record(manager, {
          subscriberId: locked.id,
          actorId: null,
          actorKind: 'SYSTEM',
          viaManagement: false,
          channel: null,
          action: 'PASSWORD_REQUESTED',
          detail: detail('PASSWORD_SENT_BY_SMS'),
        });
        return 'stored' as const;
      });
      if (stored !== 'retry') break;
    }
    this.passwordRequests.inc({ outcome: 'sent' });
    return true;
  }

  /** The KDF spec a new secret of this subscriber is derived with: the current password's, unless there is none. */
  private credentialSpec(subscriber: SubscriberEntity): KdfSpec {
    const current = subscriber.passwordKdf ? parseSpec(subscriber.passwordKdf) : null;
    if (current && (subscriber.passwordHash || !this.hasher.outdated(current))) return current;
    return this.hasher.newSpec();
  }

  private invalidCredentials() {
    return identityError(ErrorCode.INVALID_CREDENTIALS);
  }

  /**
   * terms 3.1.1: login by number (any accepted form), by verified e-mail, or by home-internet account number.
   * The first successful login after an SMS or office password is the registration (consents 2.11/6.4, terms 6.1).
   */
  async login(
    input: { login: string; password: string; channel: 'WEB' | 'MOBILE_APP'; device?: DeviceDescription | null },
    ctx: GraphQLContext,
  ): Promise<IssuedTokens> {
    const form = parseLogin(input.login);
    // Throttled by the canonical login, so "+7 705…" and "8705…" count together, existing or not.
    const keys = this.throttle.keys('subscriber', form ? `${form.kind}:${form.value}` : `raw:${String(input.login).trim().toLowerCase()}`, ctx.clientAddress);
    try {
      await this.throttle.check(keys);
    } catch (error) {
      this.logins.inc({ outcome: 'locked' });
      throw error;
    }
    const password = typeof input.password === 'string' ? input.password : '';
    const subscriber = form && password.length > 0 && password.length <= MAX_PASSWORD_LENGTH ? await this.subscribers.findByLogin(form) : null;
    const { matched, derived } = await this.verify(subscriber, password);
    if (!subscriber || !matched) {
      await this.throttle.failed(keys);
      this.logins.inc({ outcome: 'invalid_credentials' });
      throw this.invalidCredentials();
    }
    const refusal = accessRefusal(subscriber);
    if (refusal) {
      this.logins.inc({ outcome: 'no_access' });
      throw refusal;
    }
    // terms 1: Home Internet subscribers have no access through the My Beeline app, web only.
    if (subscriber.kind === 'HOME_INTERNET' && input.channel === 'MOBILE_APP') {
      this.logins.inc({ outcome: 'channel_not_allowed' });
      throw identityError(ErrorCode.CHANNEL_NOT_ALLOWED, {
        texts: {
          KK: '«Үй интернеті» абоненттері үшін кабинет тек веб-сайтта қолжетімді',
          RU: 'Для абонентов «Домашнего интернета» кабинет доступен только на сайте',
          EN: 'Home Internet subscribers can use the cabinet on the web only',
        },
      });
    }
    // A cost raised since this password was set: re-hash it now that we know it (one more evaluation, once).
    const spec = parseSpec(subscriber.passwordKdf ?? '');
    const rehash = spec && this.hasher.outdated(spec) ? await this.rehash(password) : null;
    const device = describeDevice(input.channel, input.device, ctx.userAgent);

    const result = await this.runtime.database.transaction(async (manager) => {
      const locked = await this.subscribers.lock(manager, subscriber.id);
      // The credentials may have changed since the check (a concurrent login that registered with the SMS password, a
      // new SMS password, a password change): match the derived key against the row as it is now, no second KDF run.
      // Only a password that no longer matches is refused; a correct one is never refused because of a race.
      const matchedNow = locked && locked.passwordKdf === subscriber.passwordKdf ? this.match(locked, derived) : null;
      if (!locked || !matchedNow) return null;
      const lockedRefusal = accessRefusal(locked);
      if (lockedRefusal) throw lockedRefusal;
      const now = this.now();
      const changes: Partial<SubscriberEntity> = { updatedAt: now };
      if (matchedNow === 'PENDING') {
        changes.passwordHash = locked.pendingPasswordHash;
        changes.pendingPasswordHash = null;
        changes.pendingPasswordExpiresAt = null;
        changes.passwordSetAt = now;
      }
      if (rehash) {
        changes.passwordKdf = rehash.spec;
        changes.passwordHash = rehash.hash;
        changes.pendingPasswordHash = null;
        changes.pendingPasswordExpiresAt = null;
      }
      const registering = !locked.registered;
      if (registering) {
        changes.registered = true;
        changes.registeredAt = now;
      }
      await manager.update(SubscriberEntity, { id: locked.id }, changes);
      Object.assign(locked, changes);
      const actor = { subscriberId: locked.id, actorId: locked.id, actorKind: 'SUBSCRIBER' as const, viaManagement: false, channel: input.channel };
      if (registering) {
        // terms 3.1.1: first login = registration; terms 2.11 / 6.4 consents and 6.1 acceptance of the current terms.
        const termsVersion = await this.terms.currentVersion(manager);
        await this.consents.recordRegistrationConsents(manager, locked.id, input.channel, termsVersion);
        await this.runtime.outboxFor(identityEvents).add(manager, 'SubscriberRegistered', { subscriberId: locked.id, registeredAt: now.toISOString() });
        await this.activity.record(manager, { ...actor, action: 'REGISTERED', detail: termsVersion ? detail('REGISTERED_UNDER_TERMS', { version: termsVersion }) : null });
      }
      // terms 3.5 / 6.6: continued use after a change of the terms is their acceptance.
      await this.terms.acceptOnLogin(manager, locked.id, input.channel);
      const { session, refreshToken } = await this.sessions.open(manager, {
        subjectKind: 'SUBSCRIBER',
        subjectId: locked.id,
        channel: input.channel,
        device,
        clientAddress: ctx.clientAddress,
      });
      await this.activity.record(manager, { ...actor, action: 'LOGGED_IN', detail: device ? detail('DEVICE', { device }) : null });
      await this.throttle.succeeded(manager, keys);
      return { subscriber: locked, session, refreshToken };
    });
    if (!result) {
      await this.throttle.failed(keys);
      this.logins.inc({ outcome: 'invalid_credentials' });
      throw this.invalidCredentials();
    }
    await this.throttle.cleared(keys);
    this.logins.inc({ outcome: 'ok' });
    return this.issue(result.subscriber, result.session, result.refreshToken);
  }

  /** One KDF evaluation, whatever the case: unknown login, no password yet, a password, a pending SMS password. */
  private async verify(subscriber: SubscriberEntity | null, password: string): Promise<{ matched: Matched; derived: string }> {
    const spec = subscriber?.passwordKdf ? parseSpec(subscriber.passwordKdf) : null;
    const derived = await this.hasher.derive(password, spec ?? this.hasher.decoy);
    return { matched: subscriber && spec ? this.match(subscriber, derived) : null, derived };
  }

  /** Which credential of the row a key derived with the row's KDF spec matches. */
  private match(subscriber: SubscriberEntity, derived: string): Matched {
    if (keysEqual(derived, subscriber.passwordHash)) return 'PASSWORD';
    const pendingValid = subscriber.pendingPasswordExpiresAt && subscriber.pendingPasswordExpiresAt.getTime() > this.now().getTime();
    if (pendingValid && keysEqual(derived, subscriber.pendingPasswordHash)) return 'PENDING';
    return null;
  }

  private async rehash(password: string): Promise<{ spec: string; hash: string }> {
    const spec = this.hasher.newSpec();
    return { spec: encodeSpec(spec), hash: await this.hasher.derive(password, spec) };
  }

  private async issue(subscriber: SubscriberEntity, session: SessionEntity, refreshToken: string): Promise<IssuedTokens> {
    const { token, expiresAt } = await this.tokens.accessToken(
      { kind: 'subscriber', subscriberId: subscriber.id, sessionId: session.id, channel: session.channel ?? 'WEB' },
      this.now().getTime(),
    );
    return { accessToken: token, refreshToken, accessTokenExpiresAt: expiresAt, subscriber };
  }

  /**
   * Rotates the refresh token. A token already rotated ends its whole session (the family) and revokes the
   * session's access tokens; a non-active subscriber is refused with the access code and keeps the token.
   */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const result = await this.runtime.database.transaction(async (manager) => {
      const rotation = await this.sessions.rotate(manager, refreshToken, 'SUBSCRIBER');
      if (rotation.outcome === 'invalid') return rotation;
      const subscriber = await this.subscribers.findById(rotation.session.subjectId, manager);
      if (rotation.outcome === 'reused') {
        if (subscriber) {
          await this.activity.record(manager, {
            subscriberId: subscriber.id,
            actorId: null,
            actorKind: 'SYSTEM',
            viaManagement: false,
            channel: rotation.session.channel,
            action: 'SESSION_FAMILY_REVOKED',
            detail: detail('REFRESH_TOKEN_REUSED', { sessionId: rotation.session.id }),
          });
        }
        return rotation;
      }
      if (!subscriber) return { outcome: 'invalid' as const };
      const refusal = accessRefusal(subscriber);
      if (refusal) throw refusal; // rolls the rotation back: the token works again once access is restored
      return { ...rotation, subscriber };
    });
    if (result.outcome !== 'rotated') {
      if (result.outcome === 'reused') this.runtime.logger.warn({ sessionId: result.session.id }, 'refresh token reused: session family ended');
      throw SessionService.invalidRefresh();
    }
    return this.issue(result.subscriber, result.session, result.refreshToken);
  }

  /** Ends the caller's own session (subscriber or staff) and revokes its access tokens. */
  async logout(ctx: GraphQLContext): Promise<boolean> {
    const caller = ctx.caller!;
    const subjectId = caller.kind === 'subscriber' ? caller.subscriberId : caller.staffId;
    await this.runtime.database.transaction(async (manager) => {
      const session = await this.sessions.findLive(manager, subjectId, caller.sessionId);
      if (!session) return;
      await this.sessions.end(manager, [session], 'LOGOUT');
      if (caller.kind === 'subscriber') {
        await this.activity.record(manager, {
          subscriberId: caller.subscriberId,
          actorId: caller.subscriberId,
          actorKind: 'SUBSCRIBER',
          viaManagement: false,
          channel: caller.channel,
          action: 'LOGGED_OUT',
          detail: session.device ? detail('DEVICE', { device: session.device }) : null,
        });
      }
    });
    return true;
  }

  /** terms 4.1: the owner ends one of their sessions (another's id is simply not found). */
  async endSession(caller: SubscriberCaller, sessionId: string): Promise<boolean> {
    const ended = await this.runtime.database.transaction(async (manager) => {
      const session = await this.sessions.findLive(manager, caller.subscriberId, sessionId);
      if (!session || session.subjectKind !== 'SUBSCRIBER') return false;
      await this.sessions.end(manager, [session], 'ENDED_BY_OWNER');
      await this.activity.record(manager, {
        subscriberId: caller.subscriberId,
        actorId: caller.subscriberId,
        actorKind: 'SUBSCRIBER',
        viaManagement: false,
        channel: caller.channel,
        action: 'SESSION_ENDED',
        detail: session.channel || session.device ? detail('SESSION', { channel: session.channel, device: session.device }) : null,
      });
      return true;
    });
    if (!ended) throw identityError(ErrorCode.NOT_FOUND, { field: 'id', texts: { KK: 'Сессия табылмады', RU: 'Сеанс не найден', EN: 'Session not found' } });
    return true;
  }

  /** terms 4.1: ends every session but the current one; returns how many ended. */
  async endOtherSessions(caller: SubscriberCaller): Promise<number> {
    return this.runtime.database.transaction(async (manager) => {
      const others = await this.sessions.liveSessions(manager, caller.subscriberId, caller.sessionId);
      const count = await this.sessions.end(manager, others, 'OTHER_SESSIONS_ENDED');
      await this.activity.record(manager, {
        subscriberId: caller.subscriberId,
        actorId: caller.subscriberId,
        actorKind: 'SUBSCRIBER',
        viaManagement: false,
        channel: caller.channel,
        action: 'OTHER_SESSIONS_ENDED',
        detail: detail('SESSIONS_ENDED', { count }),
      });
      return count;
    });
  }

  /** terms 4.1: a new password ends every other session (whoever had the old one is out). */
  async changePassword(caller: SubscriberCaller, currentPassword: string, newPassword: string, ctx: GraphQLContext): Promise<boolean> {
    assertAcceptablePassword(newPassword);
    const subscriber = await this.subscribers.findById(caller.subscriberId);
    if (!subscriber) throw identityError(ErrorCode.UNAUTHENTICATED);
    // The same buckets as a login by number or account number: guessing here or there counts together.
    const keys = this.throttle.keys('subscriber', `${subscriber.kind === 'MOBILE' ? 'msisdn' : 'account'}:${subscriber.login}`, ctx.clientAddress);
    await this.throttle.check(keys);
    const verified = typeof currentPassword === 'string' && currentPassword.length <= MAX_PASSWORD_LENGTH ? await this.verify(subscriber, currentPassword) : null;
    if (!verified?.matched) {
      await this.throttle.failed(keys);
      throw identityError(ErrorCode.INVALID_CREDENTIALS, {
        field: 'currentPassword',
        texts: { KK: 'Ағымдағы құпиясөз қате', RU: 'Текущий пароль неверен', EN: 'The current password is wrong' },
      });
    }
    const next = await this.rehash(newPassword);
    const changed = await this.runtime.database.transaction(async (manager) => {
      const locked = await this.subscribers.lock(manager, subscriber.id);
      // As at login: a concurrent new SMS password does not make the current password wrong; a changed password does.
      if (!locked || locked.passwordKdf !== subscriber.passwordKdf || !this.match(locked, verified.derived)) return false;
      const now = this.now();
      await manager.update(SubscriberEntity, { id: locked.id }, {
        passwordKdf: next.spec,
        passwordHash: next.hash,
        passwordSetAt: now,
        pendingPasswordHash: null,
        pendingPasswordExpiresAt: null,
        updatedAt: now,
      });
      const others = await this.sessions.liveSessions(manager, locked.id, caller.sessionId);
      const ended = await this.sessions.end(manager, others, 'PASSWORD_CHANGED');
      await this.activity.record(manager, {
        subscriberId: locked.id,
        actorId: locked.id,
        actorKind: 'SUBSCRIBER',
        viaManagement: false,
        channel: caller.channel,
        action: 'PASSWORD_CHANGED',
        detail: detail('OTHER_SESSIONS_ENDED', { count: ended }),
      });
      return true;
    });
    if (!changed) throw identityError(ErrorCode.CONFLICT);
    await this.throttle.cleared(keys);
    return true;
  }

  /** Used by `me` and friends: a session is "seen" when its token is used on identity. */
  touch(caller: SubscriberCaller): Promise<void> {
    return this.sessions.touch(caller.sessionId).catch((error) => this.runtime.logger.warn({ err: error }, 'could not record session use'));
  }
}
