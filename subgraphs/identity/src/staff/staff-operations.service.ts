import { randomUUID } from 'node:crypto';
import { ErrorCode, Language, normalizeEmail, SubgraphRuntime, identityEvents } from '@selfcare/shared';
import { identityBadInput, identityError } from '../common/errors';
import type { ActivityService } from '../activity/activity.service';
import { encodeSpec, PasswordHasher } from '../auth/kdf';
import { generatePassword } from '../auth/passwords';
import { SessionService } from '../sessions/session.service';
import { SessionEntity } from '../sessions/session.entity';
import { AccessService, StatusChange } from '../subscribers/access.service';
import { AccessReasonValue, AccessStatusValue, LanguageValue, PartyTypeValue, SubscriberEntity, SubscriberKindValue } from '../subscribers/subscriber.entity';
import { parseLogin, SubscriberService } from '../subscribers/subscriber.service';
import type { Actor } from '../common/actor';
import { type ActivityDetail, detail } from '../activity/activity-details';

export interface ProvisionRequest {
  kind: SubscriberKindValue;
  partyType: PartyTypeValue;
  msisdn?: string | null;
  accountNumber?: string | null;
  language: LanguageValue;
  email?: string | null;
  tariffCode: string;
}

const ACCOUNT_NUMBER = /^\d{6,20}$/;
const TARIFF_CODE = /^[A-Z][A-Z0-9_]{1,39}$/;

const OFFICE_PASSWORD_SMS = {
  KK: 'Beeline кеңсесінде жеке кабинетке жаңа құпиясөз берілді. Бұл сіз болмасаңыз, 0611 нөміріне хабарласыңыз.',
  RU: 'В офисе Beeline выдан новый пароль к Личному кабинету. Если это были не вы, позвоните 0611.',
  EN: 'A new Personal Cabinet password was issued at a Beeline office. If it was not you, call 0611.',
};

/**
 * What the operator's staff do to a subscriber line: provision it, change or end its access, issue a password at
 * the office (terms 3.1.2). Every action is written to the subscriber's activity record with the staff member named (terms 2.4).
 */
export class StaffOperationsService {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly hasher: PasswordHasher,
    private readonly subscribers: SubscriberService,
    private readonly access: AccessService,
    private readonly sessions: SessionService,
    private readonly activity: ActivityService,
  ) {}

  /** Finds a line by number (any accepted form), account number or verified e-mail; NOT_FOUND otherwise. */
  async find(login: string): Promise<SubscriberEntity> {
    const form = parseLogin(login);
    const subscriber = form ? await this.subscribers.findByLogin(form) : null;
    if (!subscriber) throw identityError(ErrorCode.NOT_FOUND, { field: 'login', texts: { KK: 'Абонент табылмады', RU: 'Абонент не найден', EN: 'Subscriber not found' } });
    return subscriber;
  }

  /** A new MOBILE line (by msisdn) or HOME_INTERNET contract (by account number); catalog and billing learn of it by event. */
  async provision(request: ProvisionRequest, actor: Actor): Promise<SubscriberEntity> {
    let msisdn: string | null = null;
    let login: string;
    if (request.kind === 'MOBILE') {
      if (!request.msisdn) throw identityBadInput('msisdn', { KK: 'Нөмір қажет', RU: 'Для мобильной связи нужен номер', EN: 'A mobile line needs an msisdn' });
      if (request.accountNumber) throw identityBadInput('accountNumber', { KK: 'Мобильді байланыс үшін шот нөмірі берілмейді', RU: 'Для мобильной связи номер договора не указывается', EN: 'A mobile line has no account number login' });
      msisdn = request.msisdn;
      login = request.msisdn;
    } else {
      if (request.msisdn) throw identityBadInput('msisdn', { KK: '«Үй интернетінің» нөмірі болмайды', RU: 'У «Домашнего интернета» нет мобильного номера', EN: 'A Home Internet contract has no msisdn' });
      const account = (request.accountNumber ?? '').trim();
      if (!ACCOUNT_NUMBER.test(account)) {
        throw identityBadInput('accountNumber', { KK: 'Шот нөмірі 6–20 саннан тұрады', RU: 'Номер договора — от 6 до 20 цифр', EN: 'The account number is 6 to 20 digits' });
      }
      // The login form decides between number and account (terms 1 "Login"): "87051234567" reads as the
      // mobile number +77051234567, so such an account number could never log in (or would name a mobile line).
      if (parseLogin(account)?.kind !== 'account') {
        throw identityBadInput('accountNumber', {
          KK: 'Шот нөмірі ұялы нөмір сияқты оқылады (8 7XX ...); басқа нөмір беріңіз',
          RU: 'Номер договора читается как мобильный номер (8 7XX ...); укажите другой',
          EN: 'The account number reads as a mobile number (8 7XX ...); use another one',
        });
      }
      login = account;
    }
    if (!TARIFF_CODE.test(request.tariffCode ?? '')) {
      throw identityBadInput('tariffCode', { KK: 'Тариф коды қате', RU: 'Неверный код тарифа', EN: 'Invalid tariff code' });
    }
    const email = request.email ? normalizeEmail(request.email) : null;
    if (request.email && !email) throw identityBadInput('email', { KK: 'E-mail қате', RU: 'Неверный e-mail', EN: 'Invalid e-mail' });
    const taken = () =>
      identityError(ErrorCode.CONFLICT, {
        field: request.kind === 'MOBILE' ? 'msisdn' : 'accountNumber',
        texts: { KK: 'Бұл нөмір бос емес', RU: 'Этот номер уже занят', EN: 'This number is already taken' },
      });
    try {
      return await this.runtime.database.transaction(async (manager) => {
        // Checked first for a clean answer; the unique indexes still decide between two concurrent requests.
        if (await manager.findOne(SubscriberEntity, { where: [{ login }, ...(msisdn ? [{ msisdn }] : [])] })) throw taken();
        const now = this.runtime.clock.now();
        const subscriber = manager.create(SubscriberEntity, {
          id: randomUUID(),
          kind: request.kind,
          partyType: request.partyType,
          msisdn,
          login,
          language: request.language,
          email,
          emailVerifiedAt: null,
          verifiedEmail: null,
          notifyBy: ['CABINET'],
          accessStatus: 'ACTIVE',
          accessReason: null,
          accessChangedAt: now,
          debtOutstanding: false,
          registered: false,
          registeredAt: null,
          passwordKdf: null,
          passwordHash: null,
          passwordSetAt: null,
          pendingPasswordHash: null,
          pendingPasswordExpiresAt: null,
          contractEndedAt: null,
          erasedAt: null,
          createdAt: now,
          updatedAt: now,
        });
        await manager.insert(SubscriberEntity, subscriber);
        await this.runtime.outboxFor(identityEvents).add(manager, 'SubscriberProvisioned', {
          subscriberId: subscriber.id,
          kind: subscriber.kind,
          partyType: subscriber.partyType,
          msisdn: subscriber.msisdn,
          login: subscriber.login,
          language: subscriber.language,
          tariffCode: request.tariffCode,
        });
        await this.record(manager, subscriber.id, actor, 'SUBSCRIBER_PROVISIONED', detail('SUBSCRIBER_PROVISIONED', { kind: subscriber.kind, partyType: subscriber.partyType, tariffCode: request.tariffCode }));
        return subscriber;
      });
    } catch (error) {
      if (this.runtime.database.isDuplicateKey(error)) throw taken();
      throw error;
    }
  }

  /** terms 3.3, 2.8, 2.12: suspend with a reason, block, or restore access. Blocking or unblocking is an ADMIN's call. */
  async setAccessStatus(subscriberId: string, change: { status: AccessStatusValue; reason?: AccessReasonValue | null }, actor: Actor, role: 'OPERATOR' | 'ADMIN'): Promise<SubscriberEntity> {
    if (change.status === 'TERMINATED') {
      throw identityBadInput('status', {
        KK: 'Шартты тоқтату үшін terminateContract қолданыңыз',
        RU: 'Для расторжения договора используйте terminateContract',
        EN: 'Use terminateContract to end a contract',
      });
    }
    return this.runtime.database.transaction(async (manager) => {
      const subscriber = await this.lockExisting(manager, subscriberId);
      if ((change.status === 'BLOCKED' || subscriber.accessStatus === 'BLOCKED') && role !== 'ADMIN') throw identityError(ErrorCode.FORBIDDEN);
      await this.access.change(manager, subscriber, change as StatusChange, actor);
      return subscriber;
    });
  }

  /** terms 3.3: access ends with the contract; every session ends, every token is refused. */
  async terminate(subscriberId: string, actor: Actor): Promise<SubscriberEntity> {
    return this.runtime.database.transaction(async (manager) => {
      const subscriber = await this.lockExisting(manager, subscriberId);
      await this.access.change(manager, subscriber, { status: 'TERMINATED' }, actor);
      return subscriber;
    });
  }

  /**
   * terms 3.1.2: a password handed over at the office after the person was identified there. It replaces the
   * password at once, ends every session (this is how a subscriber recovers a taken-over cabinet), is shown
   * once to the operator and is stored only as a hash. A MOBILE subscriber is told by SMS.
   */
  async issueOfficePassword(subscriberId: string, actor: Actor): Promise<{ password: string; subscriber: SubscriberEntity }> {
    const password = generatePassword();
    const spec = this.hasher.newSpec();
    const hash = await this.hasher.derive(password, spec);
    const subscriber = await this.runtime.database.transaction(async (manager) => {
      const locked = await this.lockExisting(manager, subscriberId);
      if (locked.accessStatus === 'TERMINATED') throw identityError(ErrorCode.ACCESS_TERMINATED);
      const now = this.runtime.clock.now();
      const changes = { passwordKdf: encodeSpec(spec), passwordHash: hash, passwordSetAt: now, pendingPasswordHash: null, pendingPasswordExpiresAt: null, updatedAt: now };
      await manager.update(SubscriberEntity, { id: locked.id }, changes);
      Object.assign(locked, changes);
      const live = await manager.find(SessionEntity, { where: { subjectId: locked.id } });
      const ended = await this.sessions.end(manager, live, 'OFFICE_PASSWORD');
      if (locked.msisdn) await this.runtime.notifications.sms(manager, { to: locked.msisdn, language: locked.language as Language, texts: OFFICE_PASSWORD_SMS });
      await this.record(manager, locked.id, actor, 'OFFICE_PASSWORD_ISSUED', detail('SESSIONS_ENDED', { count: ended }));
      return locked;
    });
    return { password, subscriber };
  }

  private async lockExisting(manager: import('typeorm').EntityManager, subscriberId: string): Promise<SubscriberEntity> {
    const subscriber = typeof subscriberId === 'string' && subscriberId.length <= 36 ? await this.subscribers.lock(manager, subscriberId) : null;
    if (!subscriber) throw identityError(ErrorCode.NOT_FOUND, { field: 'subscriberId', texts: { KK: 'Абонент табылмады', RU: 'Абонент не найден', EN: 'Subscriber not found' } });
    return subscriber;
  }

  private record(manager: import('typeorm').EntityManager, subscriberId: string, actor: Actor, action: string, what: ActivityDetail): Promise<void> {
    return this.activity.record(manager, {
      subscriberId,
      actorId: actor.id,
      actorKind: actor.kind,
      viaManagement: false,
      channel: null,
      action,
      detail: actor.staff ? detail(what.code, { ...what.params, staff: actor.staff }) : what,
    });
  }
}
